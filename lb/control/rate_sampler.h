// Per-second rates for HAProxy's `show info` (ConnRate, BytesOutRate, Idle_pct), from cumulative
// totals sampled once a second by the OperatorConsole's timer. Pure: time comes in as values.
#pragma once

#include <cstdint>
#include <optional>

#include "config/duration.h"

namespace lb {

class RateSampler {
public:
    struct Totals {
        std::uint64_t connections = 0;  // accepted since start
        std::uint64_t bytes_out = 0;    // written to clients and sites since start
        std::uint64_t idle_ns = 0;      // summed over the worker loops
        std::uint64_t loops = 1;        // worker loops summed in idle_ns
    };
    struct Rates {
        std::uint64_t connections_per_s = 0;
        std::uint64_t connections_per_s_max = 0;
        std::uint64_t bytes_out_per_s = 0;
        unsigned idle_pct = 100;
    };

    // Takes a sample; the rates become those between the previous sample and this one, scaled
    // to one second. A sample at the same time or earlier than the previous one is ignored.
    void sample(TimePoint now, const Totals& totals);
    [[nodiscard]] const Rates& rates() const { return rates_; }

private:
    std::optional<TimePoint> last_at_;
    Totals last_{};
    Rates rates_{};
};

}  // namespace lb
