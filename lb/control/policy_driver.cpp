#include "lb/control/policy_driver.h"

#include "lb/base/logger.h"

namespace lb {
namespace {

policy::SiteNames site_names(const config::Config& config) {
    return {config.primary().name, config.standby().name};
}

}  // namespace

PolicyDriver::PolicyDriver(Scheduler& scheduler, const config::Config& config,
                           ActiveSite& active_site)
    : scheduler_(scheduler),
      policy_(site_names(config), config.policy),
      state_file_(config.global.state_file, site_names(config)),
      active_site_(active_site),
      timer_(scheduler_.make_timer([this] { apply(policy_.on_tick(scheduler_.now())); })),
      save_retry_(scheduler_.make_timer([this] { persist(); })) {}

void PolicyDriver::start() {
    const policy::LoadedState loaded = state_file_.load();
    switch (loaded.status) {
        case policy::LoadStatus::Loaded:
            log::info("state file {}: active site {}{}, epoch {}", state_file_.path().string(),
                      policy_.site_name(loaded.decision.active),
                      loaded.decision.pinned ? " (pinned)" : "", loaded.decision.epoch);
            break;
        case policy::LoadStatus::Missing:
            log::info("{}", loaded.message);
            break;
        case policy::LoadStatus::Invalid:
            log::error(
                "{}; starting on the primary, the file is left as it is until the next "
                "change",
                loaded.message);
            break;
    }
    if (const std::size_t removed = state_file_.remove_leftovers(); removed > 0)
        log::info("state file {}: removed {} temporary file(s) left by an interrupted save",
                  state_file_.path().string(), removed);
    policy_ = policy::FailoverPolicy({policy_.site_name(0), policy_.site_name(1)},
                                     policy_.settings(), loaded.decision);
    publish();
    notify(nullptr);
}

void PolicyDriver::stop() {
    timer_.reset();
    if (saves_.pending()) persist();
    save_retry_.reset();
}

void PolicyDriver::on_site_check(std::size_t site, bool passed) {
    apply(policy_.on_check(site, passed, scheduler_.now()));
}

void PolicyDriver::on_site_health(std::size_t site, policy::SiteHealth health,
                                  const std::string& cause) {
    apply(policy_.on_health(site, health, scheduler_.now(), cause));
    publish();  // eligibility for retries may change without a transition
    for (const HealthObserver& observer : health_observers_) observer(*this);
}

void PolicyDriver::reconfigure(const config::Config& config) {
    const policy::SiteNames names = site_names(config);
    const bool same_sites = names[0] == policy_.site_name(0) && names[1] == policy_.site_name(1);
    if (same_sites && config.global.state_file == state_file_.path().string()) {
        apply(policy_.reconfigure(config.policy, scheduler_.now()));
        publish();  // retry_on_standby may have changed the retry eligibility without a transition
        return;
    }
    // Carry the decision over by name: a reload must never flip sites on its own.
    const policy::FailoverPolicy old = policy_;
    auto index_of = [&](std::size_t old_index) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == old.site_name(old_index)) return i;
        return std::nullopt;
    };
    policy::Decision decision;
    decision.epoch = old.decision().epoch + 1;
    decision.active = index_of(old.active()).value_or(policy::kPrimary);
    if (old.decision().pinned) decision.pinned = index_of(*old.decision().pinned);
    if (decision.pinned) decision.active = *decision.pinned;
    policy_ = policy::FailoverPolicy(names, config.policy, decision);
    state_file_ = policy::StateFile(config.global.state_file, names);
    for (std::size_t i = 0; i < policy::kSiteCount; ++i)
        if (auto now_index = index_of(i);
            now_index && old.admin_state(i) != policy::AdminState::Ready)
            (void)policy_.set_admin_state(*now_index, old.admin_state(i), scheduler_.now());
    log::info("policy: sites changed on reload; active site {}{}, epoch {}",
              policy_.site_name(policy_.active()), policy_.decision().pinned ? " (pinned)" : "",
              policy_.decision().epoch);
    saves_.on_change();
    persist();
    publish();
    rearm_timer();
    notify(nullptr);
}

void PolicyDriver::set_follower(bool follower) {
    if (policy_.follower() == follower) return;
    apply(policy_.set_follower(follower, scheduler_.now()));
    publish();
    rearm_timer();
}

bool PolicyDriver::adopt_peer_decision(const policy::Decision& remote) {
    const auto transition = policy_.adopt(remote, scheduler_.now());
    apply(transition);
    publish();
    return transition.has_value();
}

policy::CommandResult PolicyDriver::pin(std::size_t site) {
    auto result = policy_.pin(site, scheduler_.now());
    apply(result.transition);
    return result;
}

policy::CommandResult PolicyDriver::unpin() {
    auto result = policy_.unpin(scheduler_.now());
    apply(result.transition);
    return result;
}

policy::CommandResult PolicyDriver::failback() {
    auto result = policy_.failback(scheduler_.now());
    apply(result.transition);
    return result;
}

policy::CommandResult PolicyDriver::set_admin_state(std::size_t site, policy::AdminState state) {
    auto result = policy_.set_admin_state(site, state, scheduler_.now());
    apply(result.transition);
    publish();
    return result;
}

void PolicyDriver::apply(const std::optional<policy::Transition>& transition) {
    if (transition) {
        const auto& decision = policy_.decision();
        const std::string& from = policy_.site_name(transition->from);
        const std::string& to = policy_.site_name(transition->to);
        const std::string_view reason = policy::to_string(transition->reason);
        const std::string pinned = decision.pinned ? policy_.site_name(*decision.pinned) : "";
        if (transition->is_failover()) {
            log::event(log::Level::Warning, "failover",
                       fmt::format("failover: {} -> {} (reason {}, epoch {}): {}", from, to, reason,
                                   decision.epoch, transition->detail),
                       {{"from", from},
                        {"to", to},
                        {"reason", std::string(reason)},
                        {"epoch", std::to_string(decision.epoch)},
                        {"pinned", pinned},
                        {"detail", transition->detail}});
        } else {
            log::event(log::Level::Info, std::string(reason),
                       fmt::format("policy: {} stays active (reason {}, epoch {}): {}", to, reason,
                                   decision.epoch, transition->detail),
                       {{"site", to},
                        {"reason", std::string(reason)},
                        {"epoch", std::to_string(decision.epoch)},
                        {"pinned", pinned},
                        {"detail", transition->detail}});
        }
        // Publish before persisting: new connections must not wait for an fsync.
        publish();
        saves_.on_change();
        persist();
        last_transition_ = fmt::format("{} -> {} ({}): {}", from, to, reason, transition->detail);
        if (transition->is_failover()) ++failovers_;
        notify(&*transition);
    }
    rearm_timer();
}

void PolicyDriver::persist() {
    const auto error = state_file_.save(policy_.decision());
    switch (saves_.on_saved(!error.has_value())) {
        case SaveTracker::Report::Failing:
            log::error(
                "{}; the decision holds in memory, but a restart now would start from the "
                "file's older one; the file is tried again every {} s and at every change (not "
                "logged again until it works)",
                error->message,
                std::chrono::duration_cast<std::chrono::seconds>(kStateSaveRetry).count());
            break;
        case SaveTracker::Report::Recovered:
            log::info("state file {} written again: active site {}{}, epoch {}",
                      state_file_.path().string(), policy_.site_name(policy_.active()),
                      policy_.decision().pinned ? " (pinned)" : "", policy_.decision().epoch);
            break;
        case SaveTracker::Report::Nothing:
            break;
    }
    if (!save_retry_) return;  // stopped
    if (saves_.pending())
        save_retry_->arm(kStateSaveRetry);
    else
        save_retry_->cancel();
}

void PolicyDriver::notify(const policy::Transition* transition) {
    for (const Observer& observer : observers_) observer(*this, transition);
}

void PolicyDriver::publish() {
    SiteSnapshot snapshot;
    snapshot.active = static_cast<std::uint8_t>(policy_.active());
    snapshot.epoch = static_cast<std::uint32_t>(policy_.decision().epoch);
    for (std::size_t site = 0; site < policy::kSiteCount; ++site)
        if (policy_.retry_target(policy::other_site(site)) == site)
            snapshot.retry_eligible =
                static_cast<std::uint8_t>(snapshot.retry_eligible | (1U << site));
    active_site_.publish(snapshot);
}

void PolicyDriver::rearm_timer() {
    if (!timer_) return;  // stopped
    if (const auto deadline = policy_.next_deadline())
        scheduler_.arm_at(*timer_, *deadline);
    else
        timer_->cancel();
}

}  // namespace lb
