#include "lb/control/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "config/load_config.h"
#include "lb/base/clock.h"
#include "lb/base/logger.h"
#include "lb/base/uv_status.h"
#include "lb/control/config_warnings.h"
#include "lb/proxy/listen_socket.h"

namespace lb {

namespace {

Result<Ok> start_admin_socket(admin::AdminServer& server, const config::Admin& settings) {
    // systemd's RuntimeDirectory= usually makes /run/lb; make it ourselves when running by hand.
    const auto slash = settings.socket.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        const std::string dir = settings.socket.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return Error{fmt::format("admin socket directory {}: {}", dir, std::strerror(errno))};
    }
    return server.start(settings.socket, settings.mode);
}

// Settings a reload cannot apply to a running process.
std::vector<std::string> restart_only_changes(const config::Config& old,
                                              const config::Config& next) {
    std::vector<std::string> keys;
    if (next.global.workers != old.global.workers) keys.push_back("global.workers");
    if (next.admin.socket != old.admin.socket) keys.push_back("admin.socket");
    const auto endpoint = [](const std::optional<SocketAddress>& a) {
        return a ? a->to_string() : std::string();
    };
    if (endpoint(next.metrics.listen) != endpoint(old.metrics.listen))
        keys.push_back("metrics.listen");
    if (next.peer.has_value() != old.peer.has_value()) keys.push_back("peer");
    return keys;
}

}  // namespace

std::size_t worker_count(int configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? static_cast<std::size_t>(cores) : 1;
}

Daemon::Daemon(config::Config config)
    : config_(std::move(config)),
      budget_(config_.global.max_connections),
      metrics_({config_.primary().name, config_.standby().name}, traffic_),
      policy_(loop_.raw(), config_, active_site_) {}

Daemon::~Daemon() {
    for (auto& worker : workers_) worker->stop(Duration(0));
    for (auto& worker : workers_) worker->join();
}

Result<Ok> Daemon::start() {
    started_at_ = LoopClock(loop_.raw()).now();
    // The admin socket first: a second instance on the same config must not start at all.
    admin_ = std::make_unique<admin::AdminServer>(loop_.raw(), *this);
    if (auto started = start_admin_socket(*admin_, config_.admin); !started.ok()) return started;
    if (config_.metrics.listen) {
        http_ = std::make_unique<web::HttpEndpoint>(
            loop_.raw(), [this] { return metrics_.serialize(); }, *this);
        if (auto started = http_->start(*config_.metrics.listen); !started.ok())
            return Error{fmt::format("metrics.listen {}: {}", config_.metrics.listen->to_string(),
                                     started.error())};
    }
    policy_.set_observer([this](const policy::Transition& t) { on_transition(t); });
    policy_.start();  // the state file decides where the first connection goes
    publish_decision_metrics();
    const std::size_t count = worker_count(config_.global.workers);

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
        workers_.push_back(std::make_unique<Worker>(
            w, active_site_, budget_, *this, make_proxy_settings(config_, traffic_.sink(w))));
        workers_.back()->start(std::move(fds[w]));
    }

    health_ = std::make_unique<HealthRunner>(
        loop_.raw(), config_,
        [this](std::size_t site, health::Health health, const std::string& reason) {
            on_health_changed(site, health, reason);
        });
    health_->set_on_check_completed([this](std::size_t site, const health::CheckResult& result) {
        on_check_completed(site, result);
    });

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
            log::info("SIGHUP: reloading {}", config_.source_path);
            (void)reload();  // reload() logs the outcome
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
            if (self->health_) self->health_->stop();
            self->policy_.stop();
            self->loop_.shutdown_inbox();
            log::info("stopped");
        });
}

void Daemon::on_health_changed(std::size_t site, health::Health health, const std::string& reason) {
    const auto& name = config_.sites.at(site).name;
    const bool up = health == health::Health::Up;
    SiteRecord& record = site_records_[name];
    metrics_.site_health(site, up);
    ++record.health_changes;
    record.last_change = LoopClock(loop_.raw()).now();
    if (health != health::Health::Unknown)
        log::event(up ? log::Level::Info : log::Level::Warning, "health",
                   fmt::format("site {} is {}: {}", name, up ? "up" : "down", reason),
                   {{"site", name}, {"state", up ? "up" : "down"}, {"reason", reason}});
    policy_.on_site_health(site,
                           up ? policy::SiteHealth::Up
                              : (health == health::Health::Down ? policy::SiteHealth::Down
                                                                : policy::SiteHealth::Unknown),
                           reason);
}

// Worker thread: hand the failure to the main loop, where health and policy live.
void Daemon::on_connect_failed(std::size_t site, const Termination& why) noexcept {
    const std::string reason(describe(why));
    loop_.post([this, site, reason] {
        if (health_ && !stopping_) health_->record_passive_failure(site, reason);
    });
}

}  // namespace lb

namespace lb {

Result<std::vector<std::map<std::string, int>>> Daemon::open_listeners(
    const config::Config& config, const std::vector<std::string>& names) {
    std::vector<std::map<std::string, int>> per_worker(workers_.size());
    for (auto& fds : per_worker) {
        for (const auto& listener : config.listeners) {
            if (std::find(names.begin(), names.end(), listener.name) == names.end()) continue;
            auto fd = open_listen_socket(listener.bind);
            if (!fd.ok()) {
                for (auto& opened : per_worker)
                    for (const auto& [name, open_fd] : opened) ::close(open_fd);
                return Error{fmt::format("listener {}: {}", listener.name, fd.error())};
            }
            fds.emplace(listener.name, fd.value());
        }
    }
    return per_worker;
}

Result<Ok> Daemon::reload() {
    if (stopping_) return Error{"stopping: reload ignored"};
    config::Diagnostics diagnostics;
    auto loaded = config::load_config(config_.source_path, diagnostics);
    if (!loaded) {
        for (const auto& problem : diagnostics.all()) log::error("reload: {}", problem.to_string());
        log::event(log::Level::Error, "reload",
                   fmt::format("reload rejected: {} has errors; the running config stays",
                               config_.source_path),
                   {{"result", "rejected"}, {"file", config_.source_path}});
        return Error{fmt::format("{} has errors; the running config stays (see the log)",
                                 config_.source_path)};
    }
    config::Config next = std::move(*loaded);
    log_config_warnings(diagnostics);

    // Listeners whose name and address stay keep their sockets; the others are bound now, so a
    // bad address rejects the reload before anything changed.
    std::vector<std::string> fresh;
    for (const auto& listener : next.listeners) {
        const auto old = std::find_if(config_.listeners.begin(), config_.listeners.end(),
                                      [&](const auto& l) { return l.name == listener.name; });
        if (old == config_.listeners.end() || !(old->bind == listener.bind))
            fresh.push_back(listener.name);
    }
    auto sockets = open_listeners(next, fresh);
    if (!sockets.ok()) {
        log::event(log::Level::Error, "reload",
                   fmt::format("reload rejected: {}; the running config stays", sockets.error()),
                   {{"result", "rejected"}, {"file", config_.source_path}});
        return Error{sockets.error()};
    }
    for (const auto& key : restart_only_changes(config_, next))
        log::warning("reload: {} changed; it takes effect at the next restart", key);

    for (std::size_t w = 0; w < workers_.size(); ++w)
        workers_[w]->reconfigure(make_proxy_settings(next, traffic_.sink(w)),
                                 std::move(sockets.value()[w]));
    budget_.set_limit(next.global.max_connections);
    health_->update(next);
    policy_.reconfigure(next);
    publish_decision_metrics();
    for (std::size_t site = 0; site < next.sites.size(); ++site) {
        switch (health_->health(site)) {
            case health::Health::Up:
                policy_.on_site_health(site, policy::SiteHealth::Up, "still up after reload");
                break;
            case health::Health::Down:
                policy_.on_site_health(site, policy::SiteHealth::Down, "still down after reload");
                break;
            case health::Health::Unknown:
                break;
        }
    }
    const std::size_t kept_workers = workers_.size();
    next.global.workers = config_.global.workers;  // the thread count is fixed until restart
    config_ = std::move(next);
    log::set_json(config_.global.log_format == config::LogFormat::Json);
    log::event(
        log::Level::Info, "reload",
        fmt::format("reload: applied {} ({} listeners, {} new sockets per worker, {} "
                    "workers)",
                    config_.source_path, config_.listeners.size(), fresh.size(), kept_workers),
        {{"result", "applied"}, {"file", config_.source_path}});
    return Ok{};
}

}  // namespace lb
