#include "lb/control/publishers.h"

#include "lb/base/logger.h"

namespace lb {

void HealthPublisher::on_check_completed(std::size_t site, const health::CheckResult& result) {
    if (result.inconclusive || result.passive()) return;  // no verdict / not a probe of ours
    metrics_.health_check(site, result.ok, std::chrono::duration<double>(result.latency).count());
    policy_.on_site_check(site, result.ok);
}

void HealthPublisher::on_health_changed(std::size_t site, const health::HealthChange& change) {
    const bool up = change.to == health::Health::Up;
    metrics_.site_health(site, up);
    if (change.to != health::Health::Unknown) {
        const std::string& name = policy_.policy().site_name(site);
        log::event(up ? log::Level::Info : log::Level::Warning, "health",
                   fmt::format("site {} is {}: {}", name, up ? "up" : "down", change.reason),
                   {{"site", name},
                    {"state", up ? "up" : "down"},
                    {"reason", change.reason},
                    {"cause", std::string(health::to_string(change.cause))}});
    }
    policy_.on_site_health(site, change.to, change.reason);
}

void publish_decisions(PolicyDriver& policy, metrics::Metrics& metrics) {
    policy.add_observer([&metrics](const PolicyDriver& driver, const policy::Transition* change) {
        if (change != nullptr && change->is_failover())
            metrics.failover(change->from, change->to, policy::to_string(change->reason));
        const policy::Decision& decision = driver.policy().decision();
        metrics.site_active(decision.active);
        metrics.site_pinned(decision.pinned);
    });
}

}  // namespace lb
