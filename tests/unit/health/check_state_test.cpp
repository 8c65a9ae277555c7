// CheckState: rise/fall streaks, the Unknown start, first verdicts and flapping.
#include "health/check_state.h"

#include <catch2/catch.hpp>
#include <optional>
#include <vector>

namespace lb::health {
namespace {

using Verdicts = std::vector<bool>;

// Feeds verdicts; returns the transitions in order (nullopt where none happened).
std::vector<std::optional<Health>> feed(CheckState& state, const Verdicts& verdicts) {
    std::vector<std::optional<Health>> out;
    for (bool ok : verdicts) out.push_back(state.record(ok));
    return out;
}

TEST_CASE("a site starts Unknown and stays so until a streak completes", "[unit][health]") {
    CheckState state(/*rise=*/2, /*fall=*/3);
    CHECK(state.health() == Health::Unknown);
    CHECK_FALSE(state.record(true).has_value());
    CHECK_FALSE(state.record(false).has_value());
    CHECK_FALSE(state.record(false).has_value());
    CHECK(state.health() == Health::Unknown);
}

TEST_CASE("first verdict: Up after `rise` successes", "[unit][health]") {
    CheckState state(2, 3);
    CHECK(feed(state, {true, true}) ==
          std::vector<std::optional<Health>>{std::nullopt, Health::Up});
    CHECK(state.health() == Health::Up);
}

TEST_CASE("first verdict: Down after `fall` failures, not rise", "[unit][health]") {
    CheckState state(2, 3);
    CHECK(feed(state, {false, false, false}) ==
          std::vector<std::optional<Health>>{std::nullopt, std::nullopt, Health::Down});
}

TEST_CASE("an up site goes down after `fall` failures in a row", "[unit][health]") {
    CheckState state(/*rise=*/2, /*fall=*/3, Health::Up);
    for (bool ok : {false, false, true, false, false}) CHECK_FALSE(state.record(ok).has_value());
    CHECK(state.record(false) == Health::Down);
    CHECK(state.consecutive_failures() == 3);
    CHECK(state.consecutive_successes() == 0);
}

TEST_CASE("a down site comes back after `rise` successes in a row", "[unit][health]") {
    CheckState state(3, 2, Health::Down);
    for (bool ok : {true, true, false, true, true}) CHECK_FALSE(state.record(ok).has_value());
    CHECK(state.record(true) == Health::Up);
}

TEST_CASE("flapping never completes a streak", "[unit][health]") {
    CheckState state(2, 2, Health::Up);
    for (int i = 0; i < 50; ++i) {
        CHECK_FALSE(state.record(i % 2 == 0).has_value());
    }
    CHECK(state.health() == Health::Up);
}

TEST_CASE("verdicts agreeing with the health change nothing and keep counting", "[unit][health]") {
    CheckState state(1, 1);
    CHECK(state.record(true) == Health::Up);
    for (int i = 0; i < 10; ++i) CHECK_FALSE(state.record(true).has_value());
    CHECK(state.consecutive_successes() == 11);
    CHECK(state.record(false) == Health::Down);
    CHECK(state.consecutive_successes() == 0);
    CHECK(state.consecutive_failures() == 1);
}

TEST_CASE("rise = fall = 1 follows every verdict", "[unit][health]") {
    CheckState state(1, 1);
    CHECK(feed(state, {false, true, false}) ==
          std::vector<std::optional<Health>>{Health::Down, Health::Up, Health::Down});
}

TEST_CASE("thresholds below 1 act as 1", "[unit][health]") {
    CheckState state(0, -3);
    CHECK(state.rise() == 1);
    CHECK(state.fall() == 1);
    CHECK(state.record(false) == Health::Down);
}

TEST_CASE("reload keeps health and streaks, a lowered threshold applies on the next verdict",
          "[unit][health]") {
    CheckState state(2, 5, Health::Up);
    CHECK_FALSE(feed(state, {false, false, false}).back().has_value());
    state.set_thresholds(2, 3);
    CHECK(state.health() == Health::Up);
    CHECK(state.consecutive_failures() == 3);
    CHECK(state.record(false) == Health::Down);
}

TEST_CASE("health names", "[unit][health]") {
    CHECK(std::string(to_string(Health::Unknown)) == "unknown");
    CHECK(std::string(to_string(Health::Up)) == "up");
    CHECK(std::string(to_string(Health::Down)) == "down");
}

TEST_CASE("force sets the health at once and starts the streaks over", "[unit][health]") {
    CheckState state(2, 3);
    CHECK(state.force(Health::Up) == Health::Up);
    CHECK(state.health() == Health::Up);
    CHECK(state.consecutive_successes() == 0);
    CHECK(state.consecutive_failures() == 0);

    // From the forced state, checks go on as usual: `fall` failures to go down.
    CHECK(feed(state, {false, false}) == std::vector<std::optional<Health>>{{}, {}});
    CHECK(state.consecutive_failures() == 2);
    CHECK(state.force(Health::Down) == Health::Down);
    CHECK(state.consecutive_failures() == 0);
    CHECK(feed(state, {true, true}) == std::vector<std::optional<Health>>{{}, Health::Up});
}

TEST_CASE("forcing the health a site already has changes nothing but the streaks",
          "[unit][health]") {
    CheckState state(2, 3, Health::Up);
    CHECK(feed(state, {false, false}) == std::vector<std::optional<Health>>{{}, {}});
    CHECK_FALSE(state.force(Health::Up).has_value());
    CHECK(state.health() == Health::Up);
    CHECK(state.consecutive_failures() == 0);
    // The streak started over: two more failures are not enough.
    CHECK(feed(state, {false, false}) == std::vector<std::optional<Health>>{{}, {}});
    CHECK(state.record(false) == Health::Down);

    CheckState unknown(1, 1);
    CHECK_FALSE(unknown.force(Health::Unknown).has_value());
    CHECK(unknown.force(Health::Down) == Health::Down);
    CHECK(unknown.record(true) == Health::Up);  // rise 1: the next success brings it up
}

}  // namespace
}  // namespace lb::health
