// The daemon as admin::Controller: status snapshots for the admin socket and the status page,
// and the operator's commands (pin, unpin, failback, drain/maint, reload). Main loop only.
#include <unistd.h>

#include <memory>

#include "lb/base/clock.h"
#include "lb/base/logger.h"
#include "lb/control/daemon.h"

namespace lb {
namespace {

std::uint64_t ms_between(TimePoint from, TimePoint to) {
    return to > from ? static_cast<std::uint64_t>((to - from).count()) : 0;
}

}  // namespace

void Daemon::on_check_completed(std::size_t site, const health::CheckResult& result) {
    SiteRecord& record = site_records_[config_.sites.at(site).name];
    record.last_check = result;
    record.last_check_at = LoopClock(loop_.raw()).now();
    if (result.inconclusive) return;  // this host was out of fds: no verdict on the site
    if (!result.ok) ++record.checks_failed;
    if (!result.passive)
        metrics_.health_check(site, result.ok,
                              std::chrono::duration<double>(result.latency).count());
}

void Daemon::publish_decision_metrics() {
    const auto& decision = policy_.policy().decision();
    metrics_.site_active(decision.active);
    metrics_.site_pinned(decision.pinned);
}

void Daemon::on_transition(const policy::Transition& transition) {
    const auto& p = policy_.policy();
    last_transition_ =
        fmt::format("{} -> {} ({}): {}", p.site_name(transition.from), p.site_name(transition.to),
                    policy::to_string(transition.reason), transition.detail);
    if (transition.is_failover()) {
        ++failovers_;
        metrics_.failover(transition.from, transition.to, policy::to_string(transition.reason));
    }
    publish_decision_metrics();
}

std::optional<std::size_t> Daemon::site_index(const std::string& name) const {
    for (std::size_t i = 0; i < config_.sites.size(); ++i)
        if (config_.sites[i].name == name) return i;
    return std::nullopt;
}

admin::SiteStatus Daemon::site_status(std::size_t site, TimePoint now) {
    const config::Site& cfg = config_.sites[site];
    const auto& p = policy_.policy();
    const SiteRecord& record = site_records_[cfg.name];
    const SiteTotals counters = traffic_.site(cfg.name);
    admin::SiteStatus out;
    out.name = cfg.name;
    out.role = config::to_string(cfg.role);
    out.address = cfg.address.ip_string();
    out.health = std::string(policy::to_string(p.health(site)));
    out.admin_state = std::string(policy::to_string(p.admin_state(site)));
    out.active = p.active() == site;
    out.pinned = p.decision().pinned == site;
    out.check_kind = config::to_string(cfg.health.kind);
    if (record.last_check) {
        admin::CheckSummary check;
        check.ok = record.last_check->ok;
        check.reason = record.last_check->reason;
        check.latency_ms = static_cast<double>(record.last_check->latency.count()) / 1000.0;
        check.age_ms = ms_between(record.last_check_at, now);
        out.last_check = check;
    }
    out.checks_failed_total = record.checks_failed;
    out.health_changes_total = record.health_changes;
    out.last_change_age_s =
        ms_between(record.health_changes ? record.last_change : started_at_, now) / 1000;
    out.connections_active = counters.active;
    out.connections_max = counters.max;
    out.connections_total = counters.total;
    out.connect_errors_total = counters.connect_errors;
    out.bytes_to_site = counters.bytes_to_site;
    out.bytes_to_client = counters.bytes_to_client;
    return out;
}

admin::Status Daemon::status() {
    const TimePoint now = LoopClock(loop_.raw()).now();
    const auto& p = policy_.policy();
    admin::Status out;
    out.version = LB_VERSION;
    out.pid = ::getpid();
    out.uptime_s = ms_between(started_at_, now) / 1000;
    out.active_site = p.site_name(p.active());
    if (p.decision().pinned) out.pinned_site = p.site_name(*p.decision().pinned);
    out.epoch = p.decision().epoch;
    out.last_transition = last_transition_;
    out.failovers_total = failovers_;
    out.max_connections = static_cast<std::uint64_t>(config_.global.max_connections);
    out.connections_active = static_cast<std::uint64_t>(budget_.active());
    out.workers = workers_.size();
    out.stopping = stopping_;
    for (std::size_t site = 0; site < config_.sites.size(); ++site)
        out.sites.push_back(site_status(site, now));
    for (const auto& listener : config_.listeners) {
        const ListenerTotals counters = traffic_.listener(listener.name);
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

void Daemon::sessions(std::function<void(std::vector<admin::SessionInfo>)> done) {
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
    gather->pending = workers_.size() + 1;  // +1: this loop's own turn, released below
    gather->done = std::move(done);
    auto answered = [this, gather](std::vector<SessionView> views) {
        std::lock_guard lock(gather->mutex);
        for (auto& v : views)
            gather->sessions.push_back(admin::SessionInfo{
                v.id, std::move(v.client), std::move(v.listener), std::move(v.site), v.age_ms,
                v.bytes_to_site, v.bytes_to_client, v.established ? "established" : "connecting"});
        if (--gather->pending == 0)
            loop_.post([gather] { gather->done(std::move(gather->sessions)); });
    };
    for (auto& worker : workers_)
        if (!worker->collect_sessions(answered)) answered({});
    answered({});
}

admin::Outcome Daemon::outcome(const policy::CommandResult& result) {
    return admin::Outcome{result.status != policy::CommandStatus::Refused, result.message};
}

admin::Outcome Daemon::pin(const std::string& site, bool kill_other_sessions) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    auto result = outcome(policy_.pin(*index));
    if (result.ok && kill_other_sessions) {
        for (auto& worker : workers_) worker->close_sessions_on_site(policy::other_site(*index));
        result.message += fmt::format("; closing the sessions on {}",
                                      config_.sites[policy::other_site(*index)].name);
    }
    return result;
}

admin::Outcome Daemon::unpin() { return outcome(policy_.unpin()); }

admin::Outcome Daemon::failback() { return outcome(policy_.failback()); }

admin::Outcome Daemon::set_site_state(const std::string& site, const std::string& state) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    const auto parsed = policy::parse_admin_state(state);
    if (!parsed) return {false, fmt::format("unknown state '{}': ready, drain or maint", state)};
    auto result = outcome(policy_.set_admin_state(*index, *parsed));
    if (result.ok && *parsed == policy::AdminState::Maint) {
        // maint: the site's open sessions go too (drain keeps them).
        for (auto& worker : workers_) worker->close_sessions_on_site(*index);
    }
    log::event(log::Level::Info, "admin_state",
               fmt::format("site {} set to {}: {}", site, state, result.message),
               {{"site", site}, {"state", state}});
    return result;
}

void Daemon::reload(std::function<void(admin::Outcome)> done) {
    auto result = reload();
    done(result.ok() ? admin::Outcome{true, "reloaded " + config_.source_path}
                     : admin::Outcome{false, result.error()});
}

}  // namespace lb
