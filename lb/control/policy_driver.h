// Runs the FailoverPolicy on the main loop: feeds it health verdicts and operator commands,
// arms its hold-down timer, persists every change to the state file, logs it, and publishes the
// decision to the workers through ActiveSite.
#pragma once

#include <uv.h>

#include <functional>
#include <optional>
#include <string>

#include "config/config.h"
#include "lb/proxy/active_site.h"
#include "lb/base/uv_handle.h"
#include "lb/policy/failover_policy.h"
#include "lb/policy/state_file.h"

namespace lb {

class PolicyDriver {
public:
    // Called after every change of the decision (for metrics, admin output, peers).
    using TransitionObserver = std::function<void(const policy::Transition&)>;

    PolicyDriver(uv_loop_t* loop, const config::Config& config, ActiveSite& active_site);
    PolicyDriver(const PolicyDriver&) = delete;
    PolicyDriver& operator=(const PolicyDriver&) = delete;

    // Reads the state file (a corrupt one is reported and left untouched) and publishes the
    // starting decision.
    void start();
    void stop() { timer_.reset(); }
    void set_observer(TransitionObserver observer) { observer_ = std::move(observer); }

    void on_site_health(std::size_t site, policy::SiteHealth health, const std::string& cause);
    // Reload. Same site names: only [policy] changes. Renamed or swapped sites: the decision,
    // pin and admin states follow the names that stay; the caller then replays each site's
    // current health through on_site_health().
    void reconfigure(const config::Config& config);

    policy::CommandResult pin(std::size_t site);
    policy::CommandResult unpin();
    policy::CommandResult failback();
    policy::CommandResult set_admin_state(std::size_t site, policy::AdminState state);

    [[nodiscard]] const policy::FailoverPolicy& policy() const { return policy_; }

private:
    void apply(const std::optional<policy::Transition>& transition);
    void publish();
    void rearm_timer();
    [[nodiscard]] TimePoint now() const;

    uv_loop_t* loop_;
    policy::FailoverPolicy policy_;
    policy::StateFile state_file_;
    ActiveSite& active_site_;
    UvHandle<uv_timer_t> timer_;
    TransitionObserver observer_;
};

}  // namespace lb
