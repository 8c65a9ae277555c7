#include "lb/control/rate_sampler.h"

#include <algorithm>

namespace lb {
namespace {

// Counters only grow, but a reload or a restarted worker may reset one: never underflow.
std::uint64_t delta(std::uint64_t now, std::uint64_t before) {
    return now > before ? now - before : 0;
}

std::uint64_t per_second(std::uint64_t count, std::int64_t elapsed_ms) {
    return count * 1000 / static_cast<std::uint64_t>(elapsed_ms);
}

}  // namespace

void RateSampler::sample(TimePoint now, const Totals& totals) {
    if (last_at_ && now <= *last_at_) return;
    if (last_at_) {
        const std::int64_t elapsed_ms = (now - *last_at_).count();
        rates_.connections_per_s =
            per_second(delta(totals.connections, last_.connections), elapsed_ms);
        rates_.connections_per_s_max =
            std::max(rates_.connections_per_s_max, rates_.connections_per_s);
        rates_.bytes_out_per_s = per_second(delta(totals.bytes_out, last_.bytes_out), elapsed_ms);
        const std::uint64_t capacity_ns = static_cast<std::uint64_t>(elapsed_ms) * 1'000'000 *
                                          std::max<std::uint64_t>(totals.loops, 1);
        const std::uint64_t idle_ns = std::min(delta(totals.idle_ns, last_.idle_ns), capacity_ns);
        rates_.idle_pct = static_cast<unsigned>(idle_ns * 100 / capacity_ns);
    }
    last_at_ = now;
    last_ = totals;
}

}  // namespace lb
