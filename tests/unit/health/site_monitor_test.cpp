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

TEST_CASE("passive failures in a row bring a site down between active checks", "[unit][health]") {
    SiteMonitor monitor(1, 3, 10s, t0);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "connect refused", 0)
                    .has_value());
    CHECK_FALSE(monitor.passive_failure(now + 2ms, CheckCause::ConnectRefused, "connect refused", 0)
                    .has_value());
    const auto change =
        monitor.passive_failure(now + 3ms, CheckCause::ConnectRefused, "connect refused", 0);
    REQUIRE(change.has_value());
    CHECK(change->to == Health::Down);
    CHECK(change->reason == "passive: connect refused (3 failed connects in a row over 2ms)");
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

TEST_CASE("a passive run is ended by a client connect that succeeds, not by an active check",
          "[unit][health]") {
    SiteMonitor monitor(1, 2, 1s, t0);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok()).has_value());
    CHECK_FALSE(
        monitor.passive_failure(now, CheckCause::ConnectRefused, "connect refused", 0).has_value());
    CHECK_FALSE(run_check(monitor, now, ok()).has_value());  // the check port answers
    const auto change = monitor.passive_failure(now, CheckCause::ConnectRefused, "connect refused", 0);
    REQUIRE(change.has_value());
    CHECK(change->to == Health::Down);

    SiteMonitor other(1, 2, 1s, t0);
    now = t0;
    REQUIRE(run_check(other, now, ok()).has_value());
    CHECK_FALSE(other.passive_failure(now, CheckCause::ConnectRefused, "connect refused", 0));
    // A client's connect succeeded since (the count moved from 0 to 1): a new run of one.
    CHECK_FALSE(other.passive_failure(now, CheckCause::ConnectRefused, "connect refused", 1));
    CHECK(other.health() == Health::Up);
    CHECK(other.snapshot().passive_run == 1);
}

TEST_CASE("passive failures need their window: a dead gateway under load is down one window after "
          "it died, a burst of refusals among successes is not",
          "[unit][health]") {
    // A connect every millisecond, as under load; fall 3, passive window 200 ms.
    SiteMonitor monitor(1, 3, 10s, t0, 200ms);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
    std::uint64_t succeeded = 0;

    // A healthy gateway refuses 50 connects in a row, then accepts again: 50 ms of refusals,
    // shorter than the window, is no verdict; the success after it ends the run.
    for (int i = 0; i < 50; ++i) {
        now += 1ms;
        CHECK_FALSE(monitor.passive_failure(now, CheckCause::ConnectRefused, "refused", succeeded));
    }
    CHECK(monitor.snapshot().passive_run == 50);
    // Then a handful of refusals scattered among thousands of successes, over ten seconds.
    for (int i = 0; i < 10'000; ++i) {
        now += 1ms;
        if (i % 1000 == 500) {
            CHECK_FALSE(monitor.passive_failure(now, CheckCause::ConnectRefused, "refused", succeeded));
        } else {
            ++succeeded;
        }
    }
    CHECK(monitor.health() == Health::Up);
    CHECK(monitor.snapshot().passive_failures == 60);

    // The gateway dies: every connect fails from here. Down at the first failure a window after
    // the first of the run, long before the next active check.
    const TimePoint died = now + 1ms;
    std::optional<HealthChange> change;
    while (!change && now < died + 1s) {
        now += 1ms;
        change = monitor.passive_failure(now, CheckCause::ConnectRefused, "refused", succeeded);
    }
    REQUIRE(change.has_value());
    CHECK(now == died + 200ms);
    CHECK(change->to == Health::Down);
    CHECK(change->cause == CheckCause::ConnectRefused);
    CHECK(change->reason == "passive: refused (201 failed connects in a row over 200ms)");
    // Down already: more failures change nothing.
    CHECK_FALSE(monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "refused", succeeded));
}

TEST_CASE("a site back up after a passive failover starts a new passive run",
          "[unit][health]") {
    SiteMonitor monitor(2, 2, 1s, t0, 100ms);
    TimePoint now = t0;
    REQUIRE_FALSE(run_check(monitor, now, ok()).has_value());
    REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
    CHECK_FALSE(monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "refused", 0));
    REQUIRE(monitor.passive_failure(now + 101ms, CheckCause::ConnectRefused, "refused", 0));
    CHECK(monitor.snapshot().passive_run == 0);
    // Two passing checks bring it back; no client connect has succeeded since (the count is
    // still 0), yet one refusal is no run of `fall` over the window.
    REQUIRE_FALSE(run_check(monitor, now, ok()).has_value());
    REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
    CHECK_FALSE(monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "refused", 0));
    CHECK(monitor.health() == Health::Up);
    CHECK(monitor.snapshot().passive_run == 1);
}

TEST_CASE("the operator's health and a reload's window apply to a passive run",
          "[unit][health]") {
    SiteMonitor monitor(1, 2, 10s, t0, 100ms);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
    CHECK_FALSE(monitor.passive_failure(now, CheckCause::ConnectTimeout, "timeout", 0));
    // `set server health up` starts the run over: 150 ms later, one failure is no run of two.
    CHECK_FALSE(monitor.force(now + 10ms, Health::Up));
    CHECK(monitor.snapshot().passive_run == 0);
    CHECK_FALSE(monitor.passive_failure(now + 150ms, CheckCause::ConnectTimeout, "timeout", 0));
    // A reload to a 0 window: two in a row suffice, whatever they lasted.
    monitor.reconfigure(1, 2, 10s, 0ms);
    const auto change = monitor.passive_failure(now + 151ms, CheckCause::ConnectTimeout, "timeout", 0);
    REQUIRE(change.has_value());
    CHECK(change->to == Health::Down);
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
    monitor.reconfigure(2, 2, 5s, 0ms);
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

TEST_CASE("force reports a change with cause Forced and counts it", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    const auto down = monitor.force(t0 + 1s, Health::Down);
    REQUIRE(down.has_value());
    CHECK(*down == HealthChange{.from = Health::Unknown,
                                .to = Health::Down,
                                .reason = "set down by the operator",
                                .cause = CheckCause::Forced});
    SiteSnapshot snap = monitor.snapshot();
    CHECK(snap.health == Health::Down);
    CHECK(snap.health_changes == 1);
    CHECK(snap.down_transitions == 1);
    CHECK(snap.last_change == t0 + 1s);
    CHECK(snap.down_since == t0 + 1s);
    CHECK(snap.checks == 0);  // not a check

    CHECK_FALSE(monitor.force(t0 + 2s, Health::Down).has_value());  // already down
    CHECK(monitor.snapshot().health_changes == 1);

    const auto up = monitor.force(t0 + 4s, Health::Up);
    REQUIRE(up.has_value());
    CHECK(up->from == Health::Down);
    CHECK(up->to == Health::Up);
    CHECK(up->reason == "set up by the operator");
    CHECK(up->cause == CheckCause::Forced);
    snap = monitor.snapshot();
    CHECK(snap.down_transitions == 1);
    CHECK(snap.downtime == 3s);
    CHECK_FALSE(snap.down_since.has_value());
    CHECK(snap.consecutive_successes == 0);
}

TEST_CASE("checks go on from a forced health", "[unit][health]") {
    SiteMonitor monitor(2, 3, 1s, t0);
    TimePoint now = t0;
    CHECK_FALSE(run_check(monitor, now, bad()).has_value());
    REQUIRE(monitor.force(now, Health::Up).has_value());
    CHECK(monitor.snapshot().consecutive_failures == 0);  // the streak started over
    CHECK_FALSE(run_check(monitor, now, bad()).has_value());
    CHECK_FALSE(run_check(monitor, now, bad()).has_value());
    const auto change = run_check(monitor, now, bad("connect refused"));
    REQUIRE(change.has_value());
    CHECK(change->from == Health::Up);
    CHECK(change->to == Health::Down);
    CHECK(monitor.snapshot().down_transitions == 1);
}

TEST_CASE("down transitions count Unknown->Down and Up->Down, not Unknown->Up", "[unit][health]") {
    {
        SiteMonitor monitor(1, 1, 1s, t0);
        TimePoint now = t0;
        REQUIRE(run_check(monitor, now, ok())->to == Health::Up);  // Unknown -> Up
        CHECK(monitor.snapshot().down_transitions == 0);
        CHECK_FALSE(monitor.snapshot().down_since.has_value());
        REQUIRE(run_check(monitor, now, bad())->to == Health::Down);  // Up -> Down
        CHECK(monitor.snapshot().down_transitions == 1);
        REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
        REQUIRE(run_check(monitor, now, bad())->to == Health::Down);
        CHECK(monitor.snapshot().down_transitions == 2);
        CHECK(monitor.snapshot().health_changes == 4);
    }
    {
        SiteMonitor monitor(1, 1, 1s, t0);
        TimePoint now = t0;
        REQUIRE(run_check(monitor, now, bad())->to == Health::Down);  // Unknown -> Down
        CHECK(monitor.snapshot().down_transitions == 1);
        CHECK_FALSE(run_check(monitor, now, bad()).has_value());  // still down: no new count
        CHECK(monitor.snapshot().down_transitions == 1);
    }
    {
        SiteMonitor monitor(2, 2, 10s, t0);
        TimePoint now = t0;
        REQUIRE(run_check(monitor, now, ok()) == std::nullopt);
        REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
        CHECK_FALSE(
            monitor.passive_failure(now + 1ms, CheckCause::ConnectRefused, "refused", 0).has_value());
        const auto passive =
            monitor.passive_failure(now + 2ms, CheckCause::ConnectRefused, "refused", 0);
        REQUIRE(passive.has_value());
        CHECK(passive->to == Health::Down);
        CHECK(monitor.snapshot().down_transitions == 1);  // passive failures count too
        CHECK(monitor.snapshot().down_since == now + 2ms);
    }
}

TEST_CASE("downtime adds up the periods spent down", "[unit][health]") {
    SiteMonitor monitor(1, 1, 1s, t0);
    TimePoint now = t0;
    REQUIRE(run_check(monitor, now, bad(), 0ms)->to == Health::Down);
    const TimePoint first_down = now;
    CHECK(monitor.snapshot().down_since == first_down);
    CHECK(monitor.snapshot().downtime == 0ms);  // a period counts once it ended

    // Down for the next 4 checks' starts (1 s apart), up at the fifth, which lasts 5 ms.
    for (int i = 0; i < 4; ++i) CHECK_FALSE(run_check(monitor, now, bad(), 0ms).has_value());
    REQUIRE(run_check(monitor, now, ok())->to == Health::Up);
    SiteSnapshot snap = monitor.snapshot();
    CHECK(snap.downtime == now - first_down);
    CHECK(snap.downtime == 5s + 5ms);
    CHECK_FALSE(snap.down_since.has_value());

    // Up for a while: downtime does not move.
    for (int i = 0; i < 3; ++i) CHECK_FALSE(run_check(monitor, now, ok()).has_value());
    CHECK(monitor.snapshot().downtime == 5s + 5ms);

    // A second period, forced: 2 s.
    now += 10s;
    REQUIRE(monitor.force(now, Health::Down).has_value());
    REQUIRE(monitor.force(now + 2s, Health::Up).has_value());
    snap = monitor.snapshot();
    CHECK(snap.downtime == 7s + 5ms);
    CHECK(snap.down_transitions == 2);
}

}  // namespace
}  // namespace lb::health
