// Sticky primary/standby failover. Every input updates the facts (health, admin state, pin,
// settings) and then re-runs evaluate(), so the rules live in one place and one input moves the
// active site at most once.
#include "lb/policy/failover_policy.h"

#include <utility>

namespace lb::policy {

// A BACKUP's policy follows its master's: the commands that decide belong on the master.
constexpr const char* kFollowerRefusal =
    "this instance is not the MASTER of its peer pair: pin, unpin and failback are refused here; "
    "run them on the MASTER (see `show peer`), which shares its decision with this one";

FailoverPolicy::FailoverPolicy(SiteNames names, const config::Policy& settings, Decision initial)
    : settings_(settings), decision_(initial) {
    for (SiteIndex i = 0; i < kSiteCount; ++i) sites_[i].name = std::move(names[i]);
    // The state file loader rejects these; repair rather than trust a hand-made Decision.
    if (decision_.pinned && *decision_.pinned >= kSiteCount) decision_.pinned.reset();
    if (decision_.pinned) decision_.active = *decision_.pinned;
    if (decision_.active >= kSiteCount) decision_.active = kPrimary;
}

std::optional<Transition> FailoverPolicy::on_health(SiteIndex site, SiteHealth health,
                                                    TimePoint now, std::string_view cause) {
    if (site >= kSiteCount) return std::nullopt;
    sites_[site].health = health;
    sites_[site].cause = cause;
    return evaluate(now);
}

std::optional<Transition> FailoverPolicy::on_check(SiteIndex site, bool passed, TimePoint now) {
    if (site >= kSiteCount) return std::nullopt;
    sites_[site].last_check_passed = passed;
    return evaluate(now);
}

std::optional<Transition> FailoverPolicy::on_tick(TimePoint now) { return evaluate(now); }

std::optional<TimePoint> FailoverPolicy::next_deadline() const {
    if (!hold_down_since_) return std::nullopt;
    return *hold_down_since_ + settings_.failback_after;
}

std::optional<Transition> FailoverPolicy::adopt(const Decision& remote, TimePoint now) {
    // A malformed remote decision is dropped like an old one: the peer layer validates adverts.
    const bool valid =
        remote.active < kSiteCount && (!remote.pinned || *remote.pinned == remote.active);
    if (!valid || remote.epoch <= decision_.epoch) return std::nullopt;
    Transition change{decision_.active, remote.active, TransitionReason::Peer, {}};
    change.detail = "adopted the peer's decision (epoch " + std::to_string(remote.epoch) +
                    "): active " + sites_[remote.active].name + (remote.pinned ? ", pinned" : "");
    decision_ = remote;  // the peer's epoch is higher: monotonic here too
    update_hold_down(now);
    return change;
}

std::optional<Transition> FailoverPolicy::reconfigure(const config::Policy& settings,
                                                      TimePoint now) {
    settings_ = settings;
    return evaluate(now);
}

CommandResult FailoverPolicy::pin(SiteIndex site, TimePoint now) {
    if (follower_) return {CommandStatus::Refused, kFollowerRefusal, std::nullopt};
    if (site >= kSiteCount) return {CommandStatus::Refused, "no such site", std::nullopt};
    const std::string& name = sites_[site].name;
    if (decision_.pinned == site)
        return {CommandStatus::Unchanged, name + " is already pinned", std::nullopt};

    std::string detail = "pinned " + name + " by operator";
    if (decision_.pinned) detail += " (was pinned to " + sites_[*decision_.pinned].name + ")";
    // Allowed, but say so: the operator may not have looked at the status first.
    if (!eligible(site)) detail += "; warning: " + describe(site);
    decision_.pinned = site;
    Transition change = decision_.active == site ? record_change(TransitionReason::Pin, detail)
                                                 : switch_to(site, TransitionReason::Pin, detail);
    update_hold_down(now);
    return {CommandStatus::Applied, change.detail, std::move(change)};
}

CommandResult FailoverPolicy::unpin(TimePoint now) {
    if (follower_) return {CommandStatus::Refused, kFollowerRefusal, std::nullopt};
    if (!decision_.pinned) return {CommandStatus::Unchanged, "no site is pinned", std::nullopt};
    const std::string prefix = "unpinned " + sites_[*decision_.pinned].name;
    decision_.pinned.reset();
    // One call, one epoch step: evaluate() bumps it if it moves, else record the unpin itself.
    std::optional<Transition> change = evaluate(now);
    if (change)
        change->detail = prefix + "; " + change->detail;
    else
        change = record_change(TransitionReason::Pin, prefix);
    return {CommandStatus::Applied, change->detail, std::move(change)};
}

CommandResult FailoverPolicy::failback(TimePoint now) {
    if (follower_) return {CommandStatus::Refused, kFollowerRefusal, std::nullopt};
    const std::string& primary = sites_[kPrimary].name;
    if (decision_.active == kPrimary)
        return {CommandStatus::Unchanged, "already on the primary site " + primary, std::nullopt};
    if (decision_.pinned)
        return {CommandStatus::Refused,
                sites_[*decision_.pinned].name + " is pinned: unpin it first", std::nullopt};
    if (!eligible(kPrimary))
        return {CommandStatus::Refused,
                "not failing back: " + describe(kPrimary) + "; staying on " +
                    sites_[decision_.active].name,
                std::nullopt};
    Transition change =
        switch_to(kPrimary, TransitionReason::Failback, "manual failback: " + describe(kPrimary));
    update_hold_down(now);
    return {CommandStatus::Applied, change.detail, std::move(change)};
}

CommandResult FailoverPolicy::set_admin_state(SiteIndex site, AdminState state, TimePoint now) {
    if (site >= kSiteCount) return {CommandStatus::Refused, "no such site", std::nullopt};
    SiteState& target = sites_[site];
    if (target.admin == state)
        return {CommandStatus::Unchanged,
                target.name + " is already " + std::string(to_string(state)), std::nullopt};
    target.admin = state;
    std::string message = target.name + " set to " + std::string(to_string(state));
    std::optional<Transition> change = evaluate(now);
    if (change)
        message += "; switched to " + sites_[change->to].name;
    else if (state != AdminState::Ready && site == decision_.active)
        // Draining the only usable site would leave nowhere to send clients: say why it stays.
        message += decision_.pinned ? "; still active: pinned"
                                    : "; still active: " + describe(other_site(site));
    return {CommandStatus::Applied, std::move(message), std::move(change)};
}

std::optional<SiteIndex> FailoverPolicy::retry_target(SiteIndex failed) const {
    // A pin is the operator's "send everything there": do not second-guess it per connection.
    if (!settings_.retry_on_standby || decision_.pinned || failed >= kSiteCount)
        return std::nullopt;
    const SiteIndex other = other_site(failed);
    if (!eligible(other)) return std::nullopt;
    return other;
}

bool FailoverPolicy::eligible(SiteIndex site) const {
    const SiteState& s = sites_.at(site);
    return s.health == SiteHealth::Up && s.admin == AdminState::Ready;
}

std::optional<SiteIndex> FailoverPolicy::find_site(std::string_view name) const {
    for (SiteIndex i = 0; i < kSiteCount; ++i)
        if (sites_[i].name == name) return i;
    return std::nullopt;
}

std::optional<Transition> FailoverPolicy::set_follower(bool follower, TimePoint now) {
    follower_ = follower;
    return evaluate(now);
}

std::optional<Transition> FailoverPolicy::evaluate(TimePoint now) {
    if (decision_.pinned || follower_) {
        hold_down_since_.reset();
        return std::nullopt;
    }
    const SiteIndex from = decision_.active;
    const SiteIndex to = other_site(from);
    if (const auto reason = reason_to_leave(from); reason && can_move_to(to, *reason)) {
        Transition change = switch_to(to, *reason, describe(from) + "; " + describe(to));
        update_hold_down(now);  // e.g. standby drained back to an up primary: nothing to wait for
        return change;
    }
    update_hold_down(now);
    if (!hold_down_since_ || now < *hold_down_since_ + settings_.failback_after)
        return std::nullopt;
    Transition change =
        switch_to(kPrimary, TransitionReason::Failback,
                  describe(kPrimary) + " for " + format_duration(settings_.failback_after) +
                      " (failback = auto); leaving " + sites_[from].name);
    hold_down_since_.reset();
    return change;
}

void FailoverPolicy::update_hold_down(TimePoint now) {
    if (!failback_possible())
        hold_down_since_.reset();  // a flap of the primary restarts the wait from zero
    else if (!hold_down_since_)
        hold_down_since_ = now;
}

bool FailoverPolicy::failback_possible() const {
    return settings_.failback == config::Failback::Auto && !decision_.pinned &&
           decision_.active != kPrimary && eligible(kPrimary);
}

bool FailoverPolicy::can_move_to(SiteIndex site, TransitionReason reason) const {
    if (!eligible(site)) return false;
    return reason != TransitionReason::Health || sites_[site].last_check_passed;
}

std::optional<TransitionReason> FailoverPolicy::reason_to_leave(SiteIndex site) const {
    const SiteState& s = sites_[site];
    if (s.health == SiteHealth::Down) return TransitionReason::Health;
    if (s.admin != AdminState::Ready) return TransitionReason::Admin;
    return std::nullopt;  // Up or Unknown and ready: not yet up is never a reason to move
}

Transition FailoverPolicy::switch_to(SiteIndex to, TransitionReason reason, std::string detail) {
    Transition change{decision_.active, to, reason, std::move(detail)};
    decision_.active = to;
    ++decision_.epoch;
    return change;
}

Transition FailoverPolicy::record_change(TransitionReason reason, std::string detail) {
    ++decision_.epoch;
    return {decision_.active, decision_.active, reason, std::move(detail)};
}

std::string FailoverPolicy::describe(SiteIndex site) const {
    const SiteState& s = sites_[site];
    std::string text = s.name;
    switch (s.health) {
        case SiteHealth::Unknown:
            text += " not yet checked";
            break;
        case SiteHealth::Up:
            text += " up";
            break;
        case SiteHealth::Down:
            text += " down";
            break;
    }
    if (s.health != SiteHealth::Unknown && !s.cause.empty()) text += " (" + s.cause + ")";
    if (s.admin != AdminState::Ready) text += ", in " + std::string(to_string(s.admin));
    return text;
}

}  // namespace lb::policy
