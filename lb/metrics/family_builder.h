// Building Prometheus families at scrape time (the data path's and the peer link's): a family,
// and one series in it. Counters are doubles: exact up to 2^53, far past any process lifetime.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lb::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

[[nodiscard]] inline prometheus::MetricFamily family(std::string name, std::string help,
                                                     prometheus::MetricType type) {
    prometheus::MetricFamily out;
    out.name = std::move(name);
    out.help = std::move(help);
    out.type = type;
    return out;
}

// One series of `into` (a counter or a gauge, as the family's type says).
inline void add_series(prometheus::MetricFamily& into, Labels labels, std::uint64_t value) {
    prometheus::ClientMetric metric;
    metric.label = std::move(labels);
    if (into.type == prometheus::MetricType::Counter)
        metric.counter.value = static_cast<double>(value);
    else
        metric.gauge.value = static_cast<double>(value);
    into.metric.push_back(std::move(metric));
}

}  // namespace lb::metrics
