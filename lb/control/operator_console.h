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
#include "lb/base/clock.h"
#include "lb/base/event_loop.h"
#include "lb/base/result.h"
#include "lb/control/health_runner.h"
#include "lb/control/policy_driver.h"
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
        const Clock& clock;
        PolicyDriver& policy;
        HealthRunner& health;
        std::vector<std::unique_ptr<Worker>>& workers;
        const TrafficCounters& traffic;
        const ConnectionBudget& budget;
        const bool& stopping;
        std::function<Result<Ok>()> reload;
    };

    explicit OperatorConsole(Parts parts)
        : parts_(std::move(parts)), started_at_(parts_.clock.now()) {}

    [[nodiscard]] admin::Status status() override;
    void sessions(std::function<void(std::vector<admin::SessionInfo>)> done) override;
    admin::Outcome pin(const std::string& site, bool kill_other_sessions) override;
    admin::Outcome unpin() override;
    admin::Outcome failback() override;
    admin::Outcome set_site_state(const std::string& site, const std::string& state) override;
    void reload(std::function<void(admin::Outcome)> done) override;

private:
    [[nodiscard]] std::optional<std::size_t> site_index(const std::string& name) const;
    [[nodiscard]] admin::SiteStatus site_status(std::size_t site, TimePoint now);

    Parts parts_;
    TimePoint started_at_;
};

}  // namespace lb
