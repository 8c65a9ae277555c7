// Where control-plane events go besides their owner: a site's health verdicts to the policy
// (source 1 of its decisions), the metrics (lb_site_up, lb_health_checks_total, the duration
// histogram) and the log; the policy's decisions to the metrics (lb_site_active,
// lb_site_pinned, lb_failovers_total). Main loop only.
#pragma once

#include "lb/control/health_runner.h"
#include "lb/control/policy_driver.h"
#include "lb/metrics/metrics.h"

namespace lb {

class HealthPublisher final : public HealthEvents {
public:
    HealthPublisher(PolicyDriver& policy, metrics::Metrics& metrics)
        : policy_(policy), metrics_(metrics) {}

    void on_check_completed(std::size_t site, const health::CheckResult& result) override;
    void on_health_changed(std::size_t site, const health::HealthChange& change) override;

private:
    PolicyDriver& policy_;
    metrics::Metrics& metrics_;
};

// Keeps the decision metrics in step with `policy` from now on.
void publish_decisions(PolicyDriver& policy, metrics::Metrics& metrics);

}  // namespace lb
