#include "lb/daemon.h"

#include <unistd.h>

#include <csignal>

#include "lb/base/logger.h"
#include "lb/listen_socket.h"

namespace lb {

std::size_t worker_count(int configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? static_cast<std::size_t>(cores) : 1;
}

Daemon::Daemon(config::Config config)
    : config_(std::move(config)),
      budget_(config_.global.max_connections),
      policy_(loop_.raw(), config_, active_site_) {}

Daemon::~Daemon() {
    for (auto& worker : workers_) worker->stop(Duration(0));
    for (auto& worker : workers_) worker->join();
}

Result<Ok> Daemon::start() {
    policy_.start();  // the state file decides where the first connection goes
    const std::size_t count = worker_count(config_.global.workers);
    const auto settings = make_proxy_settings(config_);

    // Bind everything first so a bad address fails the start before any thread runs.
    std::vector<std::vector<int>> fds(count);
    for (std::size_t w = 0; w < count; ++w) {
        for (const auto& listener : config_.listeners) {
            auto fd = open_listen_socket(listener.bind);
            if (!fd.ok()) {
                for (auto& list : fds)
                    for (int open_fd : list) ::close(open_fd);
                return Error{fmt::format("listener {}: {}", listener.name, fd.error())};
            }
            fds[w].push_back(fd.value());
        }
    }
    for (std::size_t w = 0; w < count; ++w) {
        workers_.push_back(
            std::make_unique<Worker>(w, active_site_, budget_, *this, settings));
        workers_.back()->start(std::move(fds[w]));
    }

    health_ = std::make_unique<HealthRunner>(
        loop_.raw(), config_,
        [this](std::size_t site, health::Health health, const std::string& reason) {
            on_health_changed(site, health, reason);
        });

    for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
        auto* handle = new uv_signal_t;
        uv_signal_init(loop_.raw(), handle);
        handle->data = this;
        signals_.emplace_back(handle);
        uv_signal_start(
            handle,
            [](uv_signal_t* h, int signo) {
                if (auto* self = static_cast<Daemon*>(h->data)) self->on_signal(signo);
            },
            signum);
    }

    std::string binds;
    for (const auto& listener : config_.listeners)
        binds += fmt::format(" {}={}", listener.name, listener.bind.to_string());
    const auto& decision = policy_.policy().decision();
    log::info("ready: {} listeners, {} workers, active site {}{}, epoch {};{}",
              config_.listeners.size(), count, policy_.policy().site_name(decision.active),
              decision.pinned ? " (pinned)" : "", decision.epoch, binds);
    return Ok{};
}

void Daemon::run() { loop_.run(); }

void Daemon::on_signal(int signum) {
    switch (signum) {
        case SIGHUP:
            log::warning("SIGHUP: reload is not supported yet; keeping the running config");
            return;
        case SIGTERM:
            log::info("SIGTERM: draining for up to {} ms", config_.timeouts.drain.count());
            stop(config_.timeouts.drain);
            return;
        default:
            log::info("SIGINT: stopping now");
            stop(Duration(0));
            return;
    }
}

void Daemon::stop(Duration drain) {
    const bool again = stopping_;
    stopping_ = true;
    for (auto& worker : workers_) worker->stop(drain);
    if (again) return;
    // Wait for the workers off the loop so signals still reach us (a second SIGINT cuts the
    // drain short), then let the main loop run out of handles.
    auto* waiter = new uv_work_t;
    waiter->data = this;
    uv_queue_work(
        loop_.raw(), waiter,
        [](uv_work_t* req) {
            auto* self = static_cast<Daemon*>(req->data);
            for (auto& worker : self->workers_) worker->join();
        },
        [](uv_work_t* req, int) {
            auto* self = static_cast<Daemon*>(req->data);
            delete req;
            self->signals_.clear();
            if (self->health_) self->health_->stop();
            self->policy_.stop();
            self->loop_.shutdown_inbox();
            log::info("stopped");
        });
}

void Daemon::on_health_changed(std::size_t site, health::Health health,
                               const std::string& reason) {
    const auto& name = config_.sites.at(site).name;
    switch (health) {
        case health::Health::Up:
            log::info("site {} is up: {}", name, reason);
            policy_.on_site_health(site, policy::SiteHealth::Up, reason);
            break;
        case health::Health::Down:
            log::warning("site {} is down: {}", name, reason);
            policy_.on_site_health(site, policy::SiteHealth::Down, reason);
            break;
        case health::Health::Unknown:
            policy_.on_site_health(site, policy::SiteHealth::Unknown, reason);
            break;
    }
}

// Worker thread: hand the failure to the main loop, where health and policy live.
void Daemon::on_connect_failed(std::size_t site, const Termination& why) noexcept {
    const std::string reason(describe(why));
    loop_.post([this, site, reason] {
        if (health_ && !stopping_) health_->record_passive_failure(site, reason);
    });
}

void Daemon::on_session_finished(const ProxySession& session) noexcept { (void)session; }

}  // namespace lb
