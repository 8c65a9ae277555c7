// The data-path families (lb_connections_total, lb_connections_active,
// lb_connection_errors_total, lb_bytes_total), built at scrape time from what the data path
// counted. The data path keeps its own counters (lb/proxy/traffic_counters.*) and is read through
// DataPathSource; no prometheus-cpp object is touched per connection or per chunk.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lb/metrics/connection_error.h"

namespace lb::metrics {

// Counts by ConnectionError.
using ErrorCounts = std::array<std::uint64_t, kConnectionErrorCount>;

// One listener's data-path values at one instant (summed over workers).
struct ListenerSample {
    std::string listener;
    std::uint64_t active = 0;
    std::vector<std::uint64_t> connections;  // by site index; retries count on their site
    std::vector<ErrorCounts> errors;         // by site index
    ErrorCounts errors_no_site{};            // before a site was chosen: site "-"
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
};

// Where the values come from. sample() runs on the thread that serializes (the main loop) while
// workers count: it must only read atomics or take locks the data path never takes.
class DataPathSource {
public:
    // Every listener ever counted (a removed one stays, frozen, until restart), zeros included.
    [[nodiscard]] virtual std::vector<ListenerSample> sample() const = 0;

protected:
    ~DataPathSource() = default;
};

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
