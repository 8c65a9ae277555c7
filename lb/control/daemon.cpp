#include "lb/control/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "config/load_config.h"
#include "lb/base/log_writer.h"
#include "lb/base/logger.h"
#include "lb/base/service_notify.h"
#include "lb/base/uv_status.h"
#include "lb/proxy/listen_socket.h"
#include "lb/proxy/proxy_settings.h"

namespace lb {

std::size_t worker_count(int configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? static_cast<std::size_t>(cores) : 1;
}

std::vector<std::string> Daemon::listener_names(const config::Config& config) {
    std::vector<std::string> names;
    for (const auto& listener : config.listeners) names.push_back(listener.name);
    return names;
}

Daemon::Daemon(config::Config config)
    : config_(std::move(config)),
      scheduler_(loop_.raw()),
      budget_(config_.global.max_connections),
      metrics_({config_.primary().name, config_.standby().name}, traffic_),
      policy_(scheduler_, config_, active_site_),
      health_events_(policy_, metrics_),
      health_(
          scheduler_, config_, health_events_,
          [loop = loop_.raw()](config::CheckKind kind) { return health::make_prober(loop, kind); }),
      passive_checks_(loop_, health_),
      console_(OperatorConsole::Parts{.config = config_,
                                      .main_loop = loop_,
                                      .scheduler = scheduler_,
                                      .policy = policy_,
                                      .health = health_,
                                      .workers = workers_,
                                      .traffic = traffic_,
                                      .budget = budget_,
                                      .stopping = stopping_,
                                      .reload = [this] { return reload(); },
                                      .peer_view =
                                          [this]() -> std::optional<admin::PeerView> {
                                          if (!peer_) return std::nullopt;
                                          return peer_->view();
                                      },
                                      .peer_step_down =
                                          [this](std::string_view cause) {
                                              if (peer_) peer_->step_down(cause);
                                          },
                                      .peer_force_master =
                                          [this]() -> admin::Outcome {
                                          if (!peer_)
                                              return {false, "there is no [peer] section"};
                                          return peer_->force_master();
                                      }}) {
    if (config_.peer) peer_ = std::make_unique<PeerLink>(loop_.raw(), scheduler_, config_, policy_);
    metrics_.set_peer_source([this]() -> std::optional<metrics::PeerCounters> {
        if (!peer_) return std::nullopt;
        return peer_->counters();
    });
    metrics_.set_log_lines_dropped_source(&log::lines_dropped);
    publish_decisions(policy_, metrics_);
}

Daemon::~Daemon() {
    for (auto& worker : workers_) worker->stop(Duration(0));
    for (auto& worker : workers_) worker->join();
    // Tasks the workers posted run now, while everything they reach is still alive.
    loop_.shutdown_inbox();
}

Result<Ok> Daemon::start() {
    // The admin socket first: a second instance on the same config must not start at all.
    admin_ = std::make_unique<admin::AdminServer>(loop_.raw(), commands_);
    if (auto started = admin_->start(config_.admin); !started.ok()) return started;
    if (config_.metrics.listen) {
        http_ = std::make_unique<web::HttpEndpoint>(
            loop_.raw(), [this] { return metrics_.serialize(); }, console_);
        if (auto started = http_->start(*config_.metrics.listen); !started.ok())
            return Error{fmt::format("metrics.listen {}: {}", config_.metrics.listen->to_string(),
                                     started.error())};
    }
    policy_.start();  // the state file decides where the first connection goes
    if (peer_) {
        if (auto started = peer_->start(); !started.ok()) return started;
    }
    const std::size_t count = worker_count(config_.global.workers);

    // Bind everything first so a bad address fails the start before any thread runs.
    std::vector<std::string> names = listener_names(config_);
    auto sockets = open_listeners(config_, names, count);
    if (!sockets.ok()) return Error{sockets.error()};
    for (std::size_t w = 0; w < count; ++w) {
        std::vector<int> fds;
        for (const auto& name : names) fds.push_back(sockets.value()[w].at(name));
        workers_.push_back(
            std::make_unique<Worker>(w, active_site_, budget_, passive_checks_,
                                     make_proxy_settings(config_, traffic_.sink(w))));
        workers_.back()->start(std::move(fds));
    }
    if (auto watched = watch_signals(); !watched.ok()) return watched;
    console_.start();

    std::string binds;
    for (const auto& listener : config_.listeners)
        binds += fmt::format(" {}={}", listener.name, listener.bind.to_string());
    const auto& decision = policy_.policy().decision();
    log::info("ready: {} listeners, {} workers, active site {}{}, epoch {};{}",
              config_.listeners.size(), count, policy_.policy().site_name(decision.active),
              decision.pinned ? " (pinned)" : "", decision.epoch, binds);
    // Every listener is bound and listening: a connection made from now on is accepted.
    service_notify::ready(fmt::format("{} listeners, {} workers, active site {}",
                                      config_.listeners.size(), count,
                                      policy_.policy().site_name(decision.active)));
    return Ok{};
}

Result<Ok> Daemon::watch_signals() {
    for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
        auto* handle = new uv_signal_t;
        if (const int rc = uv_signal_init(loop_.raw(), handle); rc != 0) {
            delete handle;  // a failed init registered nothing
            return Error{fmt::format("cannot watch signal {}: {}", signum, uv_error_text(rc))};
        }
        handle->data = this;
        signals_.emplace_back(handle);
        uv_signal_start(
            handle,
            [](uv_signal_t* h, int signo) {
                if (auto* self = static_cast<Daemon*>(h->data)) self->on_signal(signo);
            },
            signum);
    }
    return Ok{};
}

void Daemon::run() { loop_.run(); }

void Daemon::on_signal(int signum) {
    switch (signum) {
        case SIGHUP:
            log::info("SIGHUP: reloading {}", config_.source_path);
            (void)reload();  // reload() logs the outcome
            return;
        case SIGTERM:
            // The peer takes the VIP over first (priority-0 advert), then the drain.
            if (peer_ && !stopping_) peer_->step_down("SIGTERM");
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
    if (!again)
        service_notify::stopping(drain.count() > 0
                                     ? fmt::format("draining for up to {} ms", drain.count())
                                     : std::string("stopping"));
    // A second stop signal cuts a drain short.
    for (auto& worker : workers_) worker->stop(again ? Duration(0) : drain);
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
            if (self->admin_) self->admin_->stop();
            if (self->http_) self->http_->stop();
            self->passive_checks_.stop();
            self->health_.stop();
            self->policy_.stop();
            self->console_.stop();
            if (self->peer_) self->peer_->stop();
            self->loop_.shutdown_inbox();
            log::info("stopped");
        });
}

}  // namespace lb
