// RateSampler with manual time: per-second rates over the window between two samples, the
// maximum connection rate, the idle percentage (clamped), and samples that must not count.
#include "lb/control/rate_sampler.h"

#include <catch2/catch.hpp>

namespace lb {
namespace {

using namespace std::chrono_literals;
using Totals = RateSampler::Totals;

const TimePoint t0{Duration{1'000'000}};

Totals totals(std::uint64_t connections, std::uint64_t bytes_out, std::uint64_t idle_ns = 0,
              std::uint64_t loops = 1) {
    return Totals{connections, bytes_out, idle_ns, loops};
}

TEST_CASE("rates start at zero with the loops idle, until a second sample", "[unit][control]") {
    RateSampler sampler;
    CHECK(sampler.rates().connections_per_s == 0);
    CHECK(sampler.rates().connections_per_s_max == 0);
    CHECK(sampler.rates().bytes_out_per_s == 0);
    CHECK(sampler.rates().idle_pct == 100);
    sampler.sample(t0, totals(500, 90'000, 0));  // the first sample is only a baseline
    CHECK(sampler.rates().connections_per_s == 0);
    CHECK(sampler.rates().bytes_out_per_s == 0);
    CHECK(sampler.rates().idle_pct == 100);
}

TEST_CASE("rates over a one-second window", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(10, 1'000, 0, 2));
    // Two loops: 2 s of loop time in the window, 1.5 s of it idle.
    sampler.sample(t0 + 1s, totals(110, 6'000, 1'500'000'000, 2));
    CHECK(sampler.rates().connections_per_s == 100);
    CHECK(sampler.rates().connections_per_s_max == 100);
    CHECK(sampler.rates().bytes_out_per_s == 5'000);
    CHECK(sampler.rates().idle_pct == 75);
}

TEST_CASE("rates over a two-second window are scaled to one second", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(0, 0, 0));
    sampler.sample(t0 + 2s, totals(300, 10'000, 500'000'000));
    CHECK(sampler.rates().connections_per_s == 150);
    CHECK(sampler.rates().bytes_out_per_s == 5'000);
    CHECK(sampler.rates().idle_pct == 25);  // 0.5 s idle of 2 s
}

TEST_CASE("the maximum connection rate keeps the highest window", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(0, 0));
    sampler.sample(t0 + 1s, totals(40, 0));
    sampler.sample(t0 + 2s, totals(140, 0));
    CHECK(sampler.rates().connections_per_s == 100);
    CHECK(sampler.rates().connections_per_s_max == 100);
    sampler.sample(t0 + 3s, totals(150, 0));
    CHECK(sampler.rates().connections_per_s == 10);
    CHECK(sampler.rates().connections_per_s_max == 100);
    sampler.sample(t0 + 5s, totals(150, 0));
    CHECK(sampler.rates().connections_per_s == 0);
    CHECK(sampler.rates().connections_per_s_max == 100);
}

TEST_CASE("idle time beyond the window's capacity is clamped to 100 %", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(0, 0, 0, 1));
    sampler.sample(t0 + 1s, totals(0, 0, 5'000'000'000, 1));  // 5 s idle in 1 s: clock skew
    CHECK(sampler.rates().idle_pct == 100);
    sampler.sample(t0 + 2s, totals(0, 0, 5'000'000'000, 1));  // no idle time at all: busy
    CHECK(sampler.rates().idle_pct == 0);
    // No loop reported: counted as one, never a division by zero.
    sampler.sample(t0 + 3s, totals(0, 0, 5'400'000'000, 0));
    CHECK(sampler.rates().idle_pct == 40);
}

TEST_CASE("a total that goes down (a reset counter) gives a rate of 0, not an underflow",
          "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(1'000, 50'000, 9'000'000'000));
    sampler.sample(t0 + 1s, totals(10, 100, 10'000));
    CHECK(sampler.rates().connections_per_s == 0);
    CHECK(sampler.rates().bytes_out_per_s == 0);
    CHECK(sampler.rates().idle_pct == 0);
    CHECK(sampler.rates().connections_per_s_max == 0);
    // The next window counts from the lowered totals.
    sampler.sample(t0 + 2s, totals(30, 300, 10'000));
    CHECK(sampler.rates().connections_per_s == 20);
    CHECK(sampler.rates().bytes_out_per_s == 200);
}

TEST_CASE("a sample at the same time or earlier is ignored", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(0, 0));
    sampler.sample(t0 + 1s, totals(50, 500));
    REQUIRE(sampler.rates().connections_per_s == 50);
    sampler.sample(t0 + 1s, totals(5'000, 50'000));  // same time: no division by zero either
    CHECK(sampler.rates().connections_per_s == 50);
    CHECK(sampler.rates().bytes_out_per_s == 500);
    sampler.sample(t0 + 500ms, totals(9'000, 90'000));  // earlier
    CHECK(sampler.rates().connections_per_s == 50);
    // The ignored samples did not move the baseline: this window is t0+1s .. t0+2s.
    sampler.sample(t0 + 2s, totals(150, 1'500));
    CHECK(sampler.rates().connections_per_s == 100);
    CHECK(sampler.rates().bytes_out_per_s == 1'000);
}

TEST_CASE("a window shorter than a second is scaled up", "[unit][control]") {
    RateSampler sampler;
    sampler.sample(t0, totals(0, 0, 0));
    sampler.sample(t0 + 250ms, totals(25, 1'000, 125'000'000));
    CHECK(sampler.rates().connections_per_s == 100);
    CHECK(sampler.rates().bytes_out_per_s == 4'000);
    CHECK(sampler.rates().idle_pct == 50);
}

}  // namespace
}  // namespace lb
