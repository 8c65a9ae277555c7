// The registry's families and their cached children. Names, types and labels are the documented
// ones (README.md here) contract with dashboards and alerts: change them only together with
// examples/.
#include "lb/metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <array>

#include "lb/metrics/family_builder.h"

namespace lb::metrics {

namespace {

// policy::TransitionReason's labels; pre-created so increase() sees the first failover.
constexpr std::array<std::string_view, 5> kFailoverReasons = {"health", "pin", "failback", "peer",
                                                              "admin"};

// Checks take 1 ms on a LAN and up to the check timeout (500 ms default, seconds at most).
const prometheus::Histogram::BucketBoundaries& check_buckets() {
    static const prometheus::Histogram::BucketBoundaries buckets = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
    return buckets;
}

std::string str(std::string_view text) { return std::string(text); }

}  // namespace

// --- Metrics ----------------------------------------------------------------------------------

Metrics::Metrics(std::vector<std::string> sites, const DataPathSource& data_path,
                 std::string_view version)
    : sites_(std::move(sites)),
      registry_(std::make_shared<prometheus::Registry>()),
      site_up_(prometheus::BuildGauge()
                   .Name("lb_site_up")
                   .Help("1 if the site's health checks say it is up, 0 if down or not yet known")
                   .Register(*registry_)),
      site_active_(prometheus::BuildGauge()
                       .Name("lb_site_active")
                       .Help("1 for the site that receives new connections")
                       .Register(*registry_)),
      site_pinned_(prometheus::BuildGauge()
                       .Name("lb_site_pinned")
                       .Help("1 for a site an operator pinned (health is ignored until unpin)")
                       .Register(*registry_)),
      failovers_(prometheus::BuildCounter()
                     .Name("lb_failovers_total")
                     .Help("Changes of the active site, by reason")
                     .Register(*registry_)),
      health_checks_(prometheus::BuildCounter()
                         .Name("lb_health_checks_total")
                         .Help("Active health checks completed, by result")
                         .Register(*registry_)),
      health_check_duration_(prometheus::BuildHistogram()
                                 .Name("lb_health_check_duration_seconds")
                                 .Help("Duration of active health checks")
                                 .Register(*registry_)),
      build_info_(prometheus::BuildGauge()
                      .Name("lb_build_info")
                      .Help("Always 1; the version is in the label")
                      .Register(*registry_)),
      data_path_(sites_, data_path) {
    for (const std::string& site : sites_) {
        site_series_.push_back(SiteSeries{
            .up = &site_up_.Add({{"site", site}}),
            .active = &site_active_.Add({{"site", site}}),
            .pinned = &site_pinned_.Add({{"site", site}}),
            .checks_ok = &health_checks_.Add({{"site", site}, {"result", "ok"}}),
            .checks_fail = &health_checks_.Add({{"site", site}, {"result", "fail"}}),
            .check_duration = &health_check_duration_.Add({{"site", site}}, check_buckets()),
        });
    }
    for (std::size_t from = 0; from < sites_.size(); ++from)
        for (std::size_t to = 0; to < sites_.size(); ++to)
            if (from != to)
                for (const std::string_view reason : kFailoverReasons)
                    (void)failover_child(from, to, reason);
    build_info_.Add({{"version", str(version)}}).Set(1);
}

std::string_view Metrics::default_version() {
#ifdef LB_VERSION
    return LB_VERSION;
#else
    return "unknown";
#endif
}

void Metrics::site_health(std::size_t site, bool up) {
    if (valid_site(site)) site_series_[site].up->Set(up ? 1 : 0);
}

void Metrics::site_active(std::size_t site) {
    if (!valid_site(site)) return;
    for (std::size_t i = 0; i < site_series_.size(); ++i)
        site_series_[i].active->Set(i == site ? 1 : 0);
}

void Metrics::site_pinned(std::optional<std::size_t> site) {
    for (std::size_t i = 0; i < site_series_.size(); ++i)
        site_series_[i].pinned->Set(site == i ? 1 : 0);
}

void Metrics::failover(std::size_t from, std::size_t to, std::string_view reason) {
    if (valid_site(from) && valid_site(to)) failover_child(from, to, reason).Increment();
}

void Metrics::health_check(std::size_t site, bool ok, double seconds) {
    if (!valid_site(site)) return;
    const SiteSeries& series = site_series_[site];
    (ok ? series.checks_ok : series.checks_fail)->Increment();
    series.check_duration->Observe(seconds);
}

std::string Metrics::serialize() const {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (auto& family : data_path_.Collect()) families.push_back(std::move(family));
    for (auto& family : peer_.Collect()) families.push_back(std::move(family));
    auto dropped = family("lb_log_lines_dropped_total",
                          "Log lines dropped because stderr was not read fast enough",
                          prometheus::MetricType::Counter);
    add_series(dropped, {}, log_lines_dropped_ ? log_lines_dropped_() : 0);
    families.push_back(std::move(dropped));
    return prometheus::TextSerializer().Serialize(families);
}

prometheus::Counter& Metrics::failover_child(std::size_t from, std::size_t to,
                                             std::string_view reason) {
    auto key = std::tuple{from, to, str(reason)};
    auto found = failover_children_.find(key);
    if (found != failover_children_.end()) return *found->second;
    auto& child =
        failovers_.Add({{"from", sites_[from]}, {"to", sites_[to]}, {"reason", str(reason)}});
    failover_children_.emplace(std::move(key), &child);
    return child;
}

}  // namespace lb::metrics
