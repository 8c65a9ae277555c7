// OperatorConsole: status snapshots for the admin socket and the status page, and the
// operator's commands (pin, unpin, failback, drain/maint, reload).
#include "lb/control/operator_console.h"

#include <unistd.h>

#include <memory>
#include <mutex>

#include "lb/base/logger.h"

namespace lb {
namespace {

std::uint64_t ms_between(TimePoint from, TimePoint to) {
    return to > from ? static_cast<std::uint64_t>((to - from).count()) : 0;
}

admin::Outcome outcome(const policy::CommandResult& result) {
    return admin::Outcome{result.status != policy::CommandStatus::Refused, result.message};
}

}  // namespace

std::optional<std::size_t> OperatorConsole::site_index(const std::string& name) const {
    for (std::size_t i = 0; i < parts_.config.sites.size(); ++i)
        if (parts_.config.sites[i].name == name) return i;
    return std::nullopt;
}

admin::SiteStatus OperatorConsole::site_status(std::size_t site, TimePoint now) {
    const config::Site& cfg = parts_.config.sites[site];
    const auto& p = parts_.policy.policy();
    const health::SiteSnapshot health = parts_.health.snapshot(site);
    const SiteTotals counters = parts_.traffic.site(cfg.name);
    admin::SiteStatus out;
    out.name = cfg.name;
    out.role = cfg.role;
    out.address = cfg.address.ip_string();
    out.health = health.health;
    out.admin_state = p.admin_state(site);
    out.active = p.active() == site;
    out.pinned = p.decision().pinned == site;
    out.check_kind = cfg.health.kind;
    if (health.last_check) {
        const health::CheckResult& last = *health.last_check;
        admin::CheckSummary check;
        check.ok = last.ok;
        check.cause = last.cause;
        check.http_status = last.http_status;
        check.reason = health::describe(last);
        check.latency_ms = static_cast<double>(last.latency.count()) / 1000.0;
        check.age_ms = ms_between(health.last_check_at.value_or(now), now);
        out.last_check = check;
    }
    out.checks_failed_total = health.checks_failed;
    out.health_changes_total = health.health_changes;
    out.last_change_age_s = ms_between(health.last_change.value_or(started_at_), now) / 1000;
    out.connections_active = counters.active;
    out.connections_max = counters.max;
    out.connections_total = counters.total;
    out.connect_errors_total = counters.connect_errors;
    out.bytes_to_site = counters.bytes_to_site;
    out.bytes_to_client = counters.bytes_to_client;
    return out;
}

admin::Status OperatorConsole::status() {
    const TimePoint now = parts_.clock.now();
    const auto& p = parts_.policy.policy();
    admin::Status out;
    out.version = LB_VERSION;
    out.pid = ::getpid();
    out.uptime_s = ms_between(started_at_, now) / 1000;
    out.active_site = p.site_name(p.active());
    if (p.decision().pinned) out.pinned_site = p.site_name(*p.decision().pinned);
    out.epoch = p.decision().epoch;
    out.last_transition = parts_.policy.last_transition();
    out.failovers_total = parts_.policy.failovers();
    out.max_connections = static_cast<std::uint64_t>(parts_.config.global.max_connections);
    out.connections_active = static_cast<std::uint64_t>(parts_.budget.active());
    out.workers = parts_.workers.size();
    out.stopping = parts_.stopping;
    for (std::size_t site = 0; site < parts_.config.sites.size(); ++site)
        out.sites.push_back(site_status(site, now));
    for (const auto& listener : parts_.config.listeners) {
        const ListenerTotals counters = parts_.traffic.listener(listener.name);
        admin::ListenerStatus l;
        l.name = listener.name;
        l.bind = listener.bind.to_string();
        l.target_port = listener.target_port;
        l.connections_active = counters.active;
        l.connections_max = counters.max;
        l.connections_total = counters.total;
        l.bytes_client_to_site = counters.bytes_to_site;
        l.bytes_site_to_client = counters.bytes_to_client;
        l.rejected_total = counters.rejected;
        out.connections_total += l.connections_total;
        out.listeners.push_back(std::move(l));
    }
    return out;
}

void OperatorConsole::sessions(std::function<void(std::vector<admin::SessionInfo>)> done) {
    // Each worker answers on its own thread; the last answer completes the list on this loop.
    // During a drain the workers still hold sessions and answer; one that has finished stopping
    // refuses the request and counts as answered with none.
    struct Gather {
        std::mutex mutex;
        std::vector<admin::SessionInfo> sessions;
        std::size_t pending = 0;
        std::function<void(std::vector<admin::SessionInfo>)> done;
    };
    auto gather = std::make_shared<Gather>();
    gather->pending = parts_.workers.size() + 1;  // +1: this loop's own turn, released below
    gather->done = std::move(done);
    auto answered = [&loop = parts_.main_loop, gather](std::vector<SessionView> views) {
        std::lock_guard lock(gather->mutex);
        for (auto& v : views)
            gather->sessions.push_back(admin::SessionInfo{
                v.id, std::move(v.client), std::move(v.listener), std::move(v.site), v.age_ms,
                v.bytes_to_site, v.bytes_to_client, v.established ? "established" : "connecting"});
        if (--gather->pending == 0)
            loop.post([gather] { gather->done(std::move(gather->sessions)); });
    };
    for (auto& worker : parts_.workers)
        if (!worker->collect_sessions(answered)) answered({});
    answered({});
}

admin::Outcome OperatorConsole::pin(const std::string& site, bool kill_other_sessions) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    auto result = outcome(parts_.policy.pin(*index));
    if (result.ok && kill_other_sessions) {
        for (auto& worker : parts_.workers)
            worker->close_sessions_on_site(policy::other_site(*index));
        result.message += fmt::format("; closing the sessions on {}",
                                      parts_.config.sites[policy::other_site(*index)].name);
    }
    return result;
}

admin::Outcome OperatorConsole::unpin() { return outcome(parts_.policy.unpin()); }

admin::Outcome OperatorConsole::failback() { return outcome(parts_.policy.failback()); }

admin::Outcome OperatorConsole::set_site_state(const std::string& site, const std::string& state) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    const auto parsed = policy::parse_admin_state(state);
    if (!parsed) return {false, fmt::format("unknown state '{}': ready, drain or maint", state)};
    auto result = outcome(parts_.policy.set_admin_state(*index, *parsed));
    if (result.ok && *parsed == policy::AdminState::Maint) {
        // maint: the site's open sessions go too (drain keeps them).
        for (auto& worker : parts_.workers) worker->close_sessions_on_site(*index);
    }
    log::event(log::Level::Info, "admin_state",
               fmt::format("site {} set to {}: {}", site, state, result.message),
               {{"site", site}, {"state", state}});
    return result;
}

void OperatorConsole::reload(std::function<void(admin::Outcome)> done) {
    auto result = parts_.reload();
    done(result.ok() ? admin::Outcome{true, "reloaded " + parts_.config.source_path}
                     : admin::Outcome{false, result.error()});
}

}  // namespace lb
