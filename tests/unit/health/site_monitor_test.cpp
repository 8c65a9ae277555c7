// SiteMonitor with manual time: start-to-start scheduling, no overlap, first verdicts within
// rise × interval / fall × interval, passive failures, reload.
#include "health/site_monitor.h"

#include <catch2/catch.hpp>

namespace lb::health {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{Duration{1'000'000}};

CheckResult ok(const char* reason = "http 200") { return {.ok = true, .reason = reason}; }
CheckResult bad(const char* reason = "http 503") { return {.ok = false, .reason = reason}; }

// Runs one check that starts at the monitor's deadline and lasts `latency`.
std::optional<HealthChange> run_check(SiteMonitor& monitor, TimePoint& now, CheckResult result,
                                      Duration latency = 5ms) {
    now = *monitor.next_deadline();
    monitor.check_started(now);
    now += latency;
    return monitor.check_finished(now, std::move(result));
}

TEST_CASE("the first check is due at once", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    REQUIRE(monitor.next_deadline() == t0);
    CHECK(monitor.health() == Health::Unknown);
}

TEST_CASE("checks run start to start every interval", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    monitor.check_started(t0);
    CHECK_FALSE(monitor.next_deadline().has_value());  // in flight: never overlaps itself
    CHECK_FALSE(monitor.check_finished(t0 + 300ms, ok()).has_value());
    CHECK(monitor.next_deadline() == t0 + 1s);  // not 1.3s
}

TEST_CASE("a check slower than the interval is followed at once, not overlapped",
          "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    monitor.check_started(t0);
    CHECK_FALSE(monitor.check_finished(t0 + 1500ms, bad()).has_value());
    CHECK(monitor.next_deadline() == t0 + 1500ms);
}

TEST_CASE("first verdict Up within rise x interval", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    TimePoint now = t0;
    CHECK_FALSE(run_check(monitor, now, ok()).has_value());
    const auto change = run_check(monitor, now, ok());
    REQUIRE(change.has_value());
    CHECK(*change == HealthChange{.from = Health::Unknown, .to = Health::Up, .reason = "http 200"});
    CHECK(now - t0 <= 2 * 1s);
}

TEST_CASE("first verdict Down within fall x interval", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    TimePoint now = t0;
    CHECK_FALSE(run_check(monitor, now, bad("connect refused")).has_value());
    CHECK_FALSE(run_check(monitor, now, bad("connect refused")).has_value());
    const auto change = run_check(monitor, now, bad("connect refused"));
    REQUIRE(change.has_value());
    CHECK(change->from == Health::Unknown);
    CHECK(change->to == Health::Down);
    CHECK(change->reason == "connect refused");
    CHECK(now - t0 <= 3 * 1s);
}

TEST_CASE("passive failures bring a site down between active checks", "[unit][health]") {
    SiteMonitor monitor(1, 3, 10s, t0);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "connect refused")
                    .has_value());
    CHECK_FALSE(monitor.passive_failure(now + 2ms, CheckCause::ConnectRefused, "connect refused")
                    .has_value());
    const auto change =
        monitor.passive_failure(now + 3ms, CheckCause::ConnectRefused, "connect refused");
    REQUIRE(change.has_value());
    CHECK(change->to == Health::Down);
    CHECK(change->reason == "passive: connect refused");
    CHECK(monitor.next_deadline() == t0 + 10s);  // the active schedule is untouched

    const SiteSnapshot snap = monitor.snapshot();
    CHECK(snap.passive_failures == 3);
    CHECK(snap.checks == 1);
    REQUIRE(snap.last_result.has_value());
    CHECK(snap.last_result->passive());
    CHECK(snap.last_result->cause == CheckCause::ConnectRefused);
    CHECK(change->cause == CheckCause::ConnectRefused);
    CHECK(snap.last_change == now + 3ms);
}

TEST_CASE("an active success resets a passive failure streak", "[unit][health]") {
    SiteMonitor monitor(1, 2, 1s, t0);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(
        monitor.passive_failure(now, CheckCause::ConnectRefused, "connect refused").has_value());
    CHECK_FALSE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(
        monitor.passive_failure(now, CheckCause::ConnectRefused, "connect refused").has_value());
    CHECK(monitor.health() == Health::Up);
}

TEST_CASE("a result without a started check is ignored", "[unit][health]") {
    SiteMonitor monitor(1, 1, 1s, t0);
    CHECK_FALSE(monitor.check_finished(t0, ok()).has_value());
    CHECK(monitor.snapshot().checks == 0);
}

TEST_CASE("an abandoned check leaves no verdict and reschedules", "[unit][health]") {
    SiteMonitor monitor(1, 1, 1s, t0);
    monitor.check_started(t0);
    monitor.check_abandoned(t0 + 200ms);
    CHECK(monitor.next_deadline() == t0 + 1s);
    CHECK(monitor.health() == Health::Unknown);
    CHECK_FALSE(monitor.check_finished(t0 + 300ms, ok()).has_value());
}

TEST_CASE("reconfigure keeps health and streaks, takes the new interval", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    TimePoint now = t0;
    CHECK_FALSE(run_check(monitor, now, ok()).has_value());
    REQUIRE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(run_check(monitor, now, bad()).has_value());
    monitor.reconfigure(2, 2, 5s);
    const SiteSnapshot snap = monitor.snapshot();
    CHECK(snap.health == Health::Up);
    CHECK(snap.consecutive_failures == 1);
    CHECK(snap.fall == 2);
    CHECK(monitor.next_deadline() == now - 5ms + 5s);
    CHECK(run_check(monitor, now, bad())->to == Health::Down);
}

TEST_CASE("snapshot reports the last result and counts", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    TimePoint now = t0;
    CHECK_FALSE(run_check(monitor, now, bad("timeout after 500ms (response)"), 500ms).has_value());
    const SiteSnapshot snap = monitor.snapshot();
    CHECK(snap.health == Health::Unknown);
    CHECK(snap.consecutive_failures == 1);
    CHECK(snap.checks == 1);
    CHECK_FALSE(snap.check_in_flight);
    REQUIRE(snap.last_result.has_value());
    CHECK(snap.last_result->reason == "timeout after 500ms (response)");
    CHECK_FALSE(snap.last_change.has_value());
}

}  // namespace
}  // namespace lb::health
