// What operators see and do (admin socket, `lb ctl`, status page): admin::Controller on the
// main loop. It reads every fact from its one home — site health from the HealthRunner, the
// decision from the PolicyDriver, traffic from the counters — and acts through the policy and
// the workers. Main loop only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/admin/controller.h"
#include "lb/base/event_loop.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"
#include "lb/control/health_runner.h"
#include "lb/control/policy_driver.h"
#include "lb/control/rate_sampler.h"
#include "lb/proxy/connection_budget.h"
#include "lb/proxy/traffic_counters.h"
#include "lb/proxy/worker.h"

namespace lb {

class OperatorConsole final : public admin::Controller {
public:
    // Everything it reads and acts on; all outlive the console. `config` is the running config
    // (replaced in place by a reload); `reload` re-reads the config file.
    struct Parts {
        const config::Config& config;
        EventLoop& main_loop;  // where the workers' answers to `show sessions` meet
        Scheduler& scheduler;  // the main loop's: clock, and the one-second rate sampler
        PolicyDriver& policy;
        HealthRunner& health;
        std::vector<std::unique_ptr<Worker>>& workers;
        const TrafficCounters& traffic;
        const ConnectionBudget& budget;
        const bool& stopping;
        std::function<Result<Ok>()> reload;
        // The peer link, when there is a [peer] section (else both are empty).
        std::function<std::optional<admin::PeerView>()> peer_view = {};
        std::function<void(std::string_view cause)> peer_step_down = {};
        std::function<admin::Outcome()> peer_force_master = {};
    };

    explicit OperatorConsole(Parts parts);
    // Starts sampling the per-second rates of `show info`.
    void start();
    void stop() { sampler_timer_.reset(); }

    [[nodiscard]] admin::Status status() override;
    void sessions(std::function<void(std::vector<admin::SessionInfo>)> done) override;
    admin::Outcome pin(const std::string& site, bool kill_other_sessions) override;
    admin::Outcome unpin() override;
    admin::Outcome failback() override;
    admin::Outcome set_site_state(const std::string& site, const std::string& state) override;
    void reload(std::function<void(admin::Outcome)> done) override;
    admin::Outcome set_site_health(const std::string& site, const std::string& health) override;
    admin::Outcome set_site_weight(const std::string& site, unsigned weight) override;
    admin::Outcome peer_step_down() override;
    admin::Outcome peer_force_master() override;

private:
    [[nodiscard]] std::optional<std::size_t> site_index(const std::string& name) const;
    [[nodiscard]] admin::SiteStatus site_status(std::size_t site, TimePoint now);
    [[nodiscard]] admin::ProcessInfo process_info() const;
    void sample_rates();
    // Applies an admin state for `site` and logs it; maint also closes the site's sessions.
    admin::Outcome apply_admin_state(std::size_t site, policy::AdminState state);

    // Per site, by index; reset when a reload changes the number of sites.
    struct OperatorSite {
        unsigned weight = 1;  // HAProxy's user weight
        // The drain this console set for weight 0 or `health stopping`, which weight > 0 or
        // `health up|down` lift again. An operator's own `state` command clears it.
        admin::DrainCause implied_drain = admin::DrainCause::None;  // Weight or Stopping
        std::optional<TimePoint> admin_changed_at;
        std::uint64_t maint_entries = 0;  // HAProxy counts them in chkdown
    };
    [[nodiscard]] OperatorSite& operator_site(std::size_t site);

    Parts parts_;
    TimePoint started_at_;
    std::uint64_t started_wall_s_ = 0;
    std::vector<OperatorSite> operator_sites_;
    RateSampler rates_;
    std::unique_ptr<Timer> sampler_timer_;
};

}  // namespace lb
