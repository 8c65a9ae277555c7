// Sticky primary/standby failover: decides which site takes new connections. Pure: no I/O, time
// comes in as `now`. Invariant: the active site changes only for a reason (health, pin, failback,
// peer, admin), each change bumps the epoch and comes back as a Transition to persist and log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/duration.h"
#include "lb/policy/decision.h"

namespace lb::policy {

enum class CommandStatus {
    Applied,    // the command took effect (the decision may or may not have changed)
    Unchanged,  // already so: nothing to do
    Refused,    // not possible now; `message` says why
};

// The answer to an operator command, for the admin socket.
struct CommandResult {
    CommandStatus status = CommandStatus::Unchanged;
    std::string message;                   // one line for the operator
    std::optional<Transition> transition;  // set when the decision changed: persist it
};

// Rules (tests/unit/policy/failover_policy_test.cpp walks through each):
// - the active site is left only when it is Down (or in drain/maint) and the other is Up and
//   ready; Unknown is never a reason to move, and with both down the active site stays;
// - a health failover also needs the standby's latest check to have passed: when the checks of
//   both sites fail together, the likelier cause is this instance's own network (cut off, a
//   partitioned peer), not the active site, and moving would flip sites for everyone once the
//   network heals. The move waits for the standby's next passing check (or never comes, when the
//   standby goes down too). Admin moves (drain, maint) do not wait;
// - failback "manual": the standby stays active when the primary recovers; "auto": back to the
//   primary once it has been up and ready for `failback_after` without interruption;
// - a pin overrides health until unpin.
//
// Every `site` argument must be below kSiteCount; inputs ignore and commands refuse other values,
// queries treat them as a bug (std::array::at). `now` must not go backwards. One thread.
class FailoverPolicy {
public:
    // `initial` usually comes from the state file; an inconsistent one (index out of range, pin
    // elsewhere than the active site) is repaired towards the pin, else the primary.
    FailoverPolicy(SiteNames names, const config::Policy& settings, Decision initial = {});

    // --- inputs -----------------------------------------------------------------------------
    // A health verdict for `site`; `cause` (e.g. "connect refused ×3") goes into the detail.
    [[nodiscard]] std::optional<Transition> on_health(SiteIndex site, SiteHealth health,
                                                      TimePoint now, std::string_view cause = {});
    // Every active check's verdict for `site`, before the health change it may complete: whether
    // the latest one passed (see the rules). Sites start as "passed"; passive failures and
    // forced health do not count here.
    [[nodiscard]] std::optional<Transition> on_check(SiteIndex site, bool passed, TimePoint now);
    // The timer armed at next_deadline() fired (early or late calls are harmless).
    [[nodiscard]] std::optional<Transition> on_tick(TimePoint now);
    // When on_tick must run next (the auto-failback hold-down), or nullopt: no timer needed.
    // Re-read after every call: any input may arm, move or cancel it.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    // The peer's decision: taken as a whole when its epoch is higher, else ignored (nullopt).
    // It is not re-judged against local health here; the rules apply again from the next input.
    [[nodiscard]] std::optional<Transition> adopt(const Decision& remote, TimePoint now);
    // Peer pair: a follower (this instance is not the MASTER) makes no decision of its own — it
    // records health and admin states and takes the master's decisions through adopt() — and
    // refuses pin, unpin and failback, which belong to the master. Leading again
    // (follower = false) judges the recorded state at once.
    [[nodiscard]] std::optional<Transition> set_follower(bool follower, TimePoint now);
    [[nodiscard]] bool follower() const { return follower_; }
    // A reload changed [policy]; may start or finish a hold-down.
    [[nodiscard]] std::optional<Transition> reconfigure(const config::Policy& settings,
                                                        TimePoint now);

    // --- operator commands ------------------------------------------------------------------
    // Make `site` active regardless of health until unpin(); allowed even if it is down.
    [[nodiscard]] CommandResult pin(SiteIndex site, TimePoint now);
    // Back to health-driven decisions from the current active site: it is left only if the usual
    // rule says so (down or drained, and the other up and ready).
    [[nodiscard]] CommandResult unpin(TimePoint now);
    // Manual failback: switch to the primary if it is up and ready; refused while pinned.
    [[nodiscard]] CommandResult failback(TimePoint now);
    // Drain/maint make `site` ineligible; if it is the active one (and not pinned) the policy
    // moves to the other site when that is up and ready, otherwise it stays.
    [[nodiscard]] CommandResult set_admin_state(SiteIndex site, AdminState state, TimePoint now);

    // --- queries ----------------------------------------------------------------------------
    [[nodiscard]] const Decision& decision() const { return decision_; }
    [[nodiscard]] SiteIndex active() const { return decision_.active; }
    // retry_on_standby: where to retry a connection whose connect to `failed` failed. The other
    // site if it is up and ready; nullopt when retries are off, a site is pinned, or nowhere.
    [[nodiscard]] std::optional<SiteIndex> retry_target(SiteIndex failed) const;
    [[nodiscard]] SiteHealth health(SiteIndex site) const { return sites_.at(site).health; }
    [[nodiscard]] const std::string& health_cause(SiteIndex site) const {
        return sites_.at(site).cause;
    }
    [[nodiscard]] AdminState admin_state(SiteIndex site) const { return sites_.at(site).admin; }
    // Eligible for new connections: up and ready.
    [[nodiscard]] bool eligible(SiteIndex site) const;
    [[nodiscard]] const std::string& site_name(SiteIndex site) const {
        return sites_.at(site).name;
    }
    [[nodiscard]] std::optional<SiteIndex> find_site(std::string_view name) const;
    [[nodiscard]] const config::Policy& settings() const { return settings_; }

private:
    struct SiteState {
        std::string name;
        SiteHealth health = SiteHealth::Unknown;
        AdminState admin = AdminState::Ready;
        std::string cause;  // of the last health verdict
        bool last_check_passed = true;
    };

    // The health-driven rules; called after every input. At most one transition per call.
    std::optional<Transition> evaluate(TimePoint now);
    // Starts the hold-down when auto failback becomes possible, cancels it when it is not.
    void update_hold_down(TimePoint now);
    [[nodiscard]] bool failback_possible() const;
    // Whether a move for `reason` may go to `site` now: eligible, and for a health move, its
    // latest check passed.
    [[nodiscard]] bool can_move_to(SiteIndex site, TransitionReason reason) const;
    // Why the active site should be left, if anything does.
    [[nodiscard]] std::optional<TransitionReason> reason_to_leave(SiteIndex site) const;
    Transition switch_to(SiteIndex to, TransitionReason reason, std::string detail);
    Transition record_change(TransitionReason reason, std::string detail);  // same active site
    [[nodiscard]] std::string describe(SiteIndex site) const;  // "site-a down (refused ×3)"

    std::array<SiteState, kSiteCount> sites_;
    config::Policy settings_;
    Decision decision_;
    std::optional<TimePoint> hold_down_since_;  // auto failback: primary up & ready since
    bool follower_ = false;
};

}  // namespace lb::policy
