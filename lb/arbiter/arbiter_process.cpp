#include "lb/arbiter/arbiter_process.h"

#include <fmt/format.h>
#include <uv.h>

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "lb/admin/admin_server.h"
#include "lb/arbiter/arbiter_commands.h"
#include "lb/arbiter/arbiter_metrics.h"
#include "lb/arbiter/arbiter_server.h"
#include "lb/base/event_loop.h"
#include "lb/base/logger.h"
#include "lb/base/service_notify.h"
#include "lb/base/scheduler.h"
#include "lb/base/uv_handle.h"
#include "lb/web/http_endpoint.h"

namespace lb::arbiter {

int run_arbiter(config::ArbiterConfig config) {
    std::signal(SIGPIPE, SIG_IGN);
    EventLoop loop;
    LoopScheduler scheduler(loop.raw());
    const config::Admin admin_settings = config.admin;
    const std::optional<SocketAddress> metrics_listen = config.metrics.listen;
    ArbiterServer server(loop.raw(), scheduler, std::move(config));
    ArbiterCommands commands([&server] { return server.status(); });
    admin::AdminServer admin(loop.raw(), commands);
    std::unique_ptr<web::HttpEndpoint> http;
    const auto stop_all = [&] {
        server.stop();
        admin.stop();
        if (http) http->stop();
    };
    // The admin socket first: a second arbiter on the same file must not start at all.
    Result<Ok> started = admin.start(admin_settings);
    if (started.ok()) started = server.start();
    if (started.ok() && metrics_listen) {
        http = std::make_unique<web::HttpEndpoint>(
            loop.raw(), [&server] { return metrics_text(server.status()); },
            web::HttpEndpoint::StatusSource{});
        started = http->start(*metrics_listen);
        if (!started.ok())
            started = Error{fmt::format("metrics.listen {}: {}", metrics_listen->to_string(),
                                        started.error())};
    }
    if (!started.ok()) {
        log::error("cannot start: {}", started.error());
        stop_all();
        loop.shutdown_inbox();
        return 1;
    }
    log::info("ready: arbiter");
    service_notify::ready("arbiter: answering lease requests");
    std::vector<UvHandle<uv_signal_t>> signals;
    std::function<void(int)> stop = [&](int signum) {
        log::info("arbiter: signal {}, stopping", signum);
        service_notify::stopping("stopping");
        stop_all();
        signals.clear();
        loop.shutdown_inbox();
    };
    for (const int signum : {SIGTERM, SIGINT}) {
        auto* handle = new uv_signal_t;
        if (uv_signal_init(loop.raw(), handle) != 0) {
            delete handle;
            continue;
        }
        signals.emplace_back(handle);
        handle->data = &stop;
        uv_signal_start(
            handle,
            [](uv_signal_t* h, int signo) {
                if (auto* on_signal = static_cast<std::function<void(int)>*>(h->data))
                    (*on_signal)(signo);
            },
            signum);
    }
    loop.run();
    return 0;
}

}  // namespace lb::arbiter
