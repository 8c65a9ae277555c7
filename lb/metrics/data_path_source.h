// What the data-path families show, as plain values: the data path (lb/proxy/traffic_counters.*)
// implements DataPathSource without seeing prometheus-cpp; DataPathFamilies reads it at scrape
// time.
#pragma once

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

}  // namespace lb::metrics
