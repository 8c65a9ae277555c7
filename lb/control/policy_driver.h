// The one owner of the policy state (active site, pin, epoch, admin states): runs the pure
// FailoverPolicy on the main loop, fed by three sources of decisions — health verdicts, operator
// commands and the peer's advertised decision — arms its hold-down timer, persists every change
// to the state file, logs it, publishes it to the workers through ActiveSite, and tells its
// observers (metrics, a peer link). A state file that cannot be written (read-only or full
// disk) never stops a decision: it holds in memory, the failure is logged once, and the save is
// retried every kStateSaveRetry and at the next change until the file takes it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/base/scheduler.h"
#include "lb/policy/failover_policy.h"
#include "lb/base/save_tracker.h"
#include "lb/policy/state_file.h"
#include "lb/proxy/active_site.h"

namespace lb {

// How often a state file that refused the decision is tried again: a failed attempt costs a
// create or a write that fails at once, and a disk made writable again gets the decision within
// a second.
inline constexpr Duration kStateSaveRetry = std::chrono::seconds(1);

class PolicyDriver {
public:
    // Called after every change of the decision, and once from start() with no transition (the
    // starting decision). Observers must not destroy the driver.
    using Observer = std::function<void(const PolicyDriver&, const policy::Transition*)>;

    PolicyDriver(Scheduler& scheduler, const config::Config& config, ActiveSite& active_site);
    PolicyDriver(const PolicyDriver&) = delete;
    PolicyDriver& operator=(const PolicyDriver&) = delete;

    void add_observer(Observer observer) { observers_.push_back(std::move(observer)); }
    // Called after every health verdict (on_site_health), whether or not the decision changed.
    using HealthObserver = std::function<void(const PolicyDriver&)>;
    void add_health_observer(HealthObserver observer) {
        health_observers_.push_back(std::move(observer));
    }
    // Reads the state file (a corrupt one is reported and left untouched) and publishes the
    // starting decision.
    void start();
    // Final: cancels the timers; a decision the state file still lags gets one last try.
    void stop();

    // --- source 1: health -------------------------------------------------------------------
    void on_site_health(std::size_t site, policy::SiteHealth health, const std::string& cause);
    // Every active check's verdict, before the health change it may complete.
    void on_site_check(std::size_t site, bool passed);
    // --- source 2: the operator (admin socket) ----------------------------------------------
    policy::CommandResult pin(std::size_t site);
    policy::CommandResult unpin();
    policy::CommandResult failback();
    policy::CommandResult set_admin_state(std::size_t site, policy::AdminState state);
    // --- source 3: the peer -----------------------------------------------------------------
    // The peer's decision, taken as a whole when its epoch is newer (FailoverPolicy::adopt).
    // Returns whether it was taken.
    bool adopt_peer_decision(const policy::Decision& remote);
    // This instance stops or starts leading the pair's policy (FailoverPolicy::set_follower).
    void set_follower(bool follower);

    // Reload. Same site names: only [policy] changes. Renamed or swapped sites: the decision,
    // pin and admin states follow the names that stay; the caller then replays each site's
    // current health through on_site_health().
    void reconfigure(const config::Config& config);

    [[nodiscard]] const policy::FailoverPolicy& policy() const { return policy_; }
    // "site-a -> site-b (health): site-a down ..." for the last change, or "".
    [[nodiscard]] const std::string& last_transition() const { return last_transition_; }
    // Changes of the active site since start.
    [[nodiscard]] std::uint64_t failovers() const { return failovers_; }

private:
    void apply(const std::optional<policy::Transition>& transition);
    void publish();
    void rearm_timer();
    void notify(const policy::Transition* transition);
    // Writes the current decision to the state file; on failure, logs once per outage and arms
    // the retry.
    void persist();

    Scheduler& scheduler_;
    policy::FailoverPolicy policy_;
    policy::StateFile state_file_;
    ActiveSite& active_site_;
    std::unique_ptr<Timer> timer_;
    SaveTracker saves_;
    std::unique_ptr<Timer> save_retry_;
    std::vector<Observer> observers_;
    std::vector<HealthObserver> health_observers_;
    std::string last_transition_;
    std::uint64_t failovers_ = 0;
};

}  // namespace lb
