// OperatorConsole: status snapshots for the admin socket and the status page, and the
// operator's commands (pin, unpin, failback, drain/maint, reload).
#include "lb/control/operator_console.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
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

std::uint64_t seconds_between(TimePoint from, TimePoint to) { return ms_between(from, to) / 1000; }

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "-";
    return name;
}

}  // namespace

OperatorConsole::OperatorConsole(Parts parts)
    : parts_(std::move(parts)),
      started_at_(parts_.scheduler.now()),
      started_wall_s_(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count())) {}

void OperatorConsole::start() {
    sampler_timer_ = parts_.scheduler.make_timer([this] { sample_rates(); });
    sample_rates();
}

void OperatorConsole::sample_rates() {
    RateSampler::Totals totals;
    for (const auto& listener : parts_.config.listeners) {
        const ListenerTotals counters = parts_.traffic.listener(listener.name);
        totals.connections += counters.total;
        totals.bytes_out += counters.bytes_to_site + counters.bytes_to_client;
    }
    for (auto& worker : parts_.workers) totals.idle_ns += worker->idle_time_ns();
    totals.loops = parts_.workers.size();
    rates_.sample(parts_.scheduler.now(), totals);
    if (sampler_timer_) sampler_timer_->arm(std::chrono::seconds(1));
}

OperatorConsole::OperatorSite& OperatorConsole::operator_site(std::size_t site) {
    if (operator_sites_.size() != parts_.config.sites.size())
        operator_sites_.assign(parts_.config.sites.size(), OperatorSite{});
    return operator_sites_.at(site);
}

admin::ProcessInfo OperatorConsole::process_info() const {
    admin::ProcessInfo out;
    out.node = host_name();
    out.start_time_s = started_wall_s_;
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY)
        out.ulimit_n = static_cast<std::uint64_t>(files.rlim_cur);
    const RateSampler::Rates& rates = rates_.rates();
    out.conn_rate = rates.connections_per_s;
    out.conn_rate_max = rates.connections_per_s_max;
    out.bytes_out_rate = rates.bytes_out_per_s;
    out.idle_pct = rates.idle_pct;
    out.splice = parts_.config.global.splice;
    for (const auto& listener : parts_.config.listeners) {
        const ListenerTotals counters = parts_.traffic.listener(listener.name);
        out.bytes_out_total += counters.bytes_to_site + counters.bytes_to_client;
    }
    return out;
}

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
    out.rise = health.rise;
    out.fall = health.fall;
    out.consecutive_successes = health.consecutive_successes;
    out.consecutive_failures = health.consecutive_failures;
    out.checks_failed_total = health.checks_failed;
    out.health_changes_total = health.health_changes;
    const OperatorSite& op = operator_site(site);
    // HAProxy counts entering maintenance as going down too.
    out.down_transitions_total = health.down_transitions + op.maint_entries;
    Duration downtime = health.downtime;
    if (health.down_since && now > *health.down_since) downtime += now - *health.down_since;
    out.downtime_s = static_cast<std::uint64_t>(downtime.count()) / 1000;
    // lastchg: the last change of health or of admin state, whichever is newer.
    TimePoint changed = health.last_change.value_or(started_at_);
    if (op.admin_changed_at && *op.admin_changed_at > changed) changed = *op.admin_changed_at;
    out.last_change_age_s = seconds_between(changed, now);
    out.weight = op.weight;
    if (out.admin_state == policy::AdminState::Drain)
        out.drain_cause = op.implied_drain == admin::DrainCause::None ? admin::DrainCause::Operator
                                                                      : op.implied_drain;
    out.connections_active = counters.active;
    out.connections_max = counters.max;
    out.connections_total = counters.total;
    out.connect_errors_total = counters.connect_errors;
    out.bytes_to_site = counters.bytes_to_site;
    out.bytes_to_client = counters.bytes_to_client;
    return out;
}

admin::Status OperatorConsole::status() {
    const TimePoint now = parts_.scheduler.now();
    const auto& p = parts_.policy.policy();
    admin::Status out;
    out.version = LB_VERSION;
    out.pid = ::getpid();
    out.uptime_s = seconds_between(started_at_, now);
    out.process = process_info();
    if (parts_.peer_view) out.peer = parts_.peer_view();
    if (out.peer) out.peer_role = out.peer->role;
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
        for (const auto& site : parts_.config.sites)
            l.site_ports.push_back(parts_.config.site_port(site, listener));
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
    OperatorSite& op = operator_site(*index);
    op.implied_drain = admin::DrainCause::None;  // the operator's own word replaces it
    // Ready with weight 0 still takes no new connections, as a HAProxy server of weight 0.
    if (*parsed == policy::AdminState::Ready && op.weight == 0) {
        op.implied_drain = admin::DrainCause::Weight;
        return apply_admin_state(*index, policy::AdminState::Drain);
    }
    return apply_admin_state(*index, *parsed);
}

admin::Outcome OperatorConsole::apply_admin_state(std::size_t site, policy::AdminState state) {
    const policy::AdminState before = parts_.policy.policy().admin_state(site);
    auto result = outcome(parts_.policy.set_admin_state(site, state));
    if (result.ok && state != before) {
        OperatorSite& op = operator_site(site);
        op.admin_changed_at = parts_.scheduler.now();
        if (state == policy::AdminState::Maint) ++op.maint_entries;
    }
    if (result.ok && state == policy::AdminState::Maint) {
        // maint: the site's open sessions go too (drain keeps them).
        for (auto& worker : parts_.workers) worker->close_sessions_on_site(site);
    }
    const std::string& name = parts_.config.sites[site].name;
    const std::string_view words = policy::to_string(state);
    log::event(log::Level::Info, "admin_state",
               fmt::format("site {} set to {}: {}", name, words, result.message),
               {{"site", name}, {"state", std::string(words)}});
    return result;
}

admin::Outcome OperatorConsole::set_site_health(const std::string& site,
                                                const std::string& health) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    OperatorSite& op = operator_site(*index);
    const policy::AdminState admin = parts_.policy.policy().admin_state(*index);
    if (health == "stopping") {
        // HAProxy's NOLB: up, but no new connections. For a site that is a drain.
        if (admin != policy::AdminState::Ready) return {true, "site already drained"};
        op.implied_drain = admin::DrainCause::Stopping;
        return apply_admin_state(*index, policy::AdminState::Drain);
    }
    const health::Health forced = health == "up" ? health::Health::Up : health::Health::Down;
    if (health != "up" && health != "down")
        return {false, fmt::format("unknown health '{}': up, down or stopping", health)};
    if (op.implied_drain == admin::DrainCause::Stopping && admin == policy::AdminState::Drain) {
        op.implied_drain = admin::DrainCause::None;
        (void)apply_admin_state(*index, policy::AdminState::Ready);
    }
    if (!parts_.health.force_health(*index, forced)) return {false, "health checks are stopped"};
    log::event(log::Level::Info, "admin_health",
               fmt::format("site {} health set {} by the operator", site, health),
               {{"site", site}, {"health", health}});
    return {true, fmt::format("site {} health set {}", site, health)};
}

admin::Outcome OperatorConsole::set_site_weight(const std::string& site, unsigned weight) {
    const auto index = site_index(site);
    if (!index) return {false, fmt::format("no site named '{}'", site)};
    if (weight > 256) return {false, "a weight is at most 256"};
    OperatorSite& op = operator_site(*index);
    const unsigned before = op.weight;
    op.weight = weight;
    const policy::AdminState admin = parts_.policy.policy().admin_state(*index);
    if (weight == 0 && admin == policy::AdminState::Ready) {
        op.implied_drain = admin::DrainCause::Weight;
        return apply_admin_state(*index, policy::AdminState::Drain);
    }
    if (weight > 0 && op.implied_drain == admin::DrainCause::Weight &&
        admin == policy::AdminState::Drain) {
        op.implied_drain = admin::DrainCause::None;
        return apply_admin_state(*index, policy::AdminState::Ready);
    }
    return {true, fmt::format("site {} weight {} (was {})", site, weight, before)};
}

admin::Outcome OperatorConsole::peer_step_down() {
    if (!parts_.peer_step_down)
        return {false, "there is no [peer] section: nothing to step down from"};
    parts_.peer_step_down("operator: peer step-down");
    return {true, "stepping down: priority 0 advertised, the VIP goes to the peer"};
}

admin::Outcome OperatorConsole::peer_force_master() {
    if (!parts_.peer_force_master)
        return {false, "there is no [peer] section: nothing to take over"};
    return parts_.peer_force_master();
}

void OperatorConsole::reload(std::function<void(admin::Outcome)> done) {
    auto result = parts_.reload();
    done(result.ok() ? admin::Outcome{true, "reloaded " + parts_.config.source_path}
                     : admin::Outcome{false, result.error()});
}

}  // namespace lb
