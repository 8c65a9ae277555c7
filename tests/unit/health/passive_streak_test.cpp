// PassiveStreak with manual time: a run of failed connects is a verdict only when it has `fall`
// failures and lasted `window`; a connect that succeeded in between, or reset(), ends the run.
#include "health/passive_streak.h"

#include <catch2/catch.hpp>

namespace lb::health {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{Duration{5'000'000}};

TEST_CASE("passive streak: fall failures in a row over the window", "[unit][health]") {
    PassiveStreak streak(3, 100ms);
    CHECK_FALSE(streak.failed(t0, 7));
    CHECK_FALSE(streak.failed(t0 + 10ms, 7));
    CHECK_FALSE(streak.failed(t0 + 99ms, 7));  // three, but 99 ms
    CHECK(streak.failures() == 3);
    CHECK(streak.since() == t0);
    CHECK(streak.failed(t0 + 100ms, 7));
    CHECK(streak.failed(t0 + 101ms, 7));  // still complete until something ends it
}

TEST_CASE("passive streak: a long run needs fall failures too", "[unit][health]") {
    PassiveStreak streak(3, 100ms);
    CHECK_FALSE(streak.failed(t0, 0));
    CHECK_FALSE(streak.failed(t0 + 5s, 0));  // two failures, however far apart
    CHECK(streak.failed(t0 + 5s + 1ms, 0));
}

TEST_CASE("passive streak: a connect that succeeded in between starts the run over",
          "[unit][health]") {
    PassiveStreak streak(2, 0ms);
    CHECK_FALSE(streak.failed(t0, 10));
    CHECK_FALSE(streak.failed(t0 + 1ms, 11));  // the counter moved: a new run of one
    CHECK(streak.failures() == 1);
    CHECK(streak.since() == t0 + 1ms);
    CHECK(streak.failed(t0 + 2ms, 11));
}

TEST_CASE("passive streak: reset() and thresholds", "[unit][health]") {
    PassiveStreak streak(0, -5ms);  // taken as 1 and 0
    CHECK(streak.fall() == 1);
    CHECK(streak.window() == 0ms);
    CHECK(streak.failed(t0, 0));
    streak.reset();
    CHECK(streak.failures() == 0);
    CHECK_FALSE(streak.since().has_value());
    streak.reconfigure(2, 50ms);
    CHECK_FALSE(streak.failed(t0 + 1ms, 0));
    CHECK_FALSE(streak.failed(t0 + 50ms, 0));  // 49 ms
    CHECK(streak.failed(t0 + 51ms, 0));
}

}  // namespace
}  // namespace lb::health
