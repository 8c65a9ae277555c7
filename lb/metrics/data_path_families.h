// The data-path families (lb_connections_total, lb_connections_active,
// lb_connection_errors_total, lb_bytes_total), built at scrape time from what the data path
// counted. The data path keeps its own counters (lb/proxy/traffic_counters.*) and is read through
// DataPathSource; no prometheus-cpp object is touched per connection or per chunk.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

#include "lb/metrics/data_path_source.h"

namespace lb::metrics {

class DataPathFamilies final : public prometheus::Collectable {
public:
    // `sites` label the site indices of the samples (index 0 primary, 1 standby). `source` must
    // outlive this object.
    DataPathFamilies(std::vector<std::string> sites, const DataPathSource& source)
        : sites_(std::move(sites)), source_(source) {}

    // Every series of every sampled listener, at 0 when nothing happened yet (so rate() sees the
    // first event): connections and errors for each site of `sites` plus errors for site "-".
    [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::vector<std::string> sites_;
    const DataPathSource& source_;
};

}  // namespace lb::metrics
