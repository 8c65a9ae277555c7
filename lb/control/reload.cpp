// Daemon::reload: SIGHUP and the `reload` command. The new config is checked and its new
// listener sockets bound before anything changes, so a bad file or address leaves the running
// config untouched; then every part takes the new config in turn.
#include <unistd.h>

#include <algorithm>

#include "config/load_config.h"
#include "lb/base/logger.h"
#include "lb/base/service_notify.h"
#include "lb/control/config_warnings.h"
#include "lb/control/daemon.h"
#include "lb/proxy/listen_socket.h"
#include "lb/proxy/proxy_settings.h"

namespace lb {
namespace {

// Settings a reload cannot apply to a running process (lb/control/reload.cpp).
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

// Why a reload cannot change the sites, or "" when they are the same two, in the same roles. A
// session, its passive failures, the active site and the metrics refer to a site by its place
// (primary, standby): renamed or swapped sites would move all of them to the wrong gateway.
std::string sites_changed(const config::Config& old, const config::Config& next) {
    const auto names = [](const config::Config& c) {
        return fmt::format("primary {}, standby {}", c.primary().name, c.standby().name);
    };
    if (names(old) == names(next)) return {};
    return fmt::format(
        "the sites changed ({} → {}); sessions, the active site and metrics name sites by their "
        "place, so a running lb keeps its sites: restart it to apply this file",
        names(old), names(next));
}

}  // namespace

Result<std::vector<std::map<std::string, int>>> Daemon::open_listeners(
    const config::Config& config, const std::vector<std::string>& names, std::size_t workers) {
    std::vector<std::map<std::string, int>> per_worker(workers);
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
    // systemd shows the unit "reloading" from here until READY=1, sent whatever the outcome.
    service_notify::reloading(fmt::format("reloading {}", config_.source_path));
    auto outcome = apply_reload();
    service_notify::ready(outcome.ok() ? fmt::format("reload applied: {} listeners, active site {}",
                                                     config_.listeners.size(),
                                                     policy_.policy().site_name(
                                                         policy_.policy().decision().active))
                                       : fmt::format("reload rejected: {}", outcome.error()));
    return outcome;
}

Result<Ok> Daemon::apply_reload() {
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
    if (const std::string why = sites_changed(config_, next); !why.empty()) {
        log::event(log::Level::Error, "reload",
                   fmt::format("reload rejected: {}; the running config stays", why),
                   {{"result", "rejected"}, {"file", config_.source_path}});
        return Error{why};
    }

    // Listeners whose name and address stay keep their sockets; the others are bound now, so a
    // bad address rejects the reload before anything changed.
    std::vector<std::string> fresh;
    for (const auto& listener : next.listeners) {
        const auto old = std::find_if(config_.listeners.begin(), config_.listeners.end(),
                                      [&](const auto& l) { return l.name == listener.name; });
        if (old == config_.listeners.end() || !(old->bind == listener.bind))
            fresh.push_back(listener.name);
    }
    auto sockets = open_listeners(next, fresh, workers_.size());
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
    health_.update(next);
    policy_.reconfigure(next);
    for (std::size_t site = 0; site < next.sites.size(); ++site) {
        switch (health_.health(site)) {
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
