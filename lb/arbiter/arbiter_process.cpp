#include "lb/arbiter/arbiter_process.h"

#include <uv.h>

#include <csignal>
#include <functional>
#include <vector>

#include "lb/arbiter/arbiter_server.h"
#include "lb/base/event_loop.h"
#include "lb/base/logger.h"
#include "lb/base/scheduler.h"
#include "lb/base/uv_handle.h"

namespace lb::arbiter {

int run_arbiter(config::ArbiterConfig config) {
    std::signal(SIGPIPE, SIG_IGN);
    EventLoop loop;
    LoopScheduler scheduler(loop.raw());
    ArbiterServer server(loop.raw(), scheduler, std::move(config));
    if (auto started = server.start(); !started.ok()) {
        log::error("cannot start: {}", started.error());
        server.stop();
        loop.shutdown_inbox();
        return 1;
    }
    log::info("ready: arbiter");
    std::vector<UvHandle<uv_signal_t>> signals;
    std::function<void(int)> stop = [&](int signum) {
        log::info("arbiter: signal {}, stopping", signum);
        server.stop();
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
