// Everything known about one site's health, without I/O: its CheckState, its history (last
// results, counters, last change) and when the next active check is due. This is the one home
// of a site's health: the policy, the admin views, the metrics and the status page read it
// through SiteSnapshot. Checks run start-to-start every `interval` and never overlap: while one
// is in flight there is no deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/duration.h"
#include "health/check_result.h"
#include "health/check_state.h"
#include "health/passive_streak.h"

namespace lb::health {

// A completed rise or fall streak.
struct HealthChange {
    Health from = Health::Unknown;
    Health to = Health::Unknown;
    std::string reason;  // describe() of the result that completed the streak, e.g. "http 503"
    CheckCause cause = CheckCause::Passed;  // that result's cause

    friend bool operator==(const HealthChange&, const HealthChange&) = default;
};

// A copy of a monitor's state for status output (admin socket, status page, metrics).
struct SiteSnapshot {
    Health health = Health::Unknown;
    int consecutive_successes = 0;
    int consecutive_failures = 0;
    int rise = 0;
    int fall = 0;
    std::optional<CheckResult> last_result;  // active or passive, whichever came last
    // The last active check, inconclusive ones included (status output: "last check").
    std::optional<CheckResult> last_check;
    std::optional<TimePoint> last_check_at;  // when it finished
    std::optional<TimePoint> last_change;    // when `health` was last set by a streak
    std::uint64_t checks = 0;                // active checks completed with a verdict
    std::uint64_t checks_failed = 0;         // of those, failed (HAProxy chkfail)
    std::uint64_t passive_failures = 0;
    int passive_run = 0;  // failed connects in a row now (PassiveStreak)
    std::uint64_t health_changes = 0;  // completed streaks, Unknown→Up/Down included
    // Changes to Down from Up or Unknown (HAProxy's chkdown: it assumes a new server up).
    std::uint64_t down_transitions = 0;
    Duration downtime{0};                   // time spent Down, periods that ended
    std::optional<TimePoint> down_since;    // set while Down
    bool check_in_flight = false;
};

class SiteMonitor {
public:
    // The first check is due at `now`, so the first verdict comes after rise (or fall) checks:
    // within rise × interval (or fall × interval) plus one check's latency. `passive_window`:
    // see passive_failure().
    SiteMonitor(int rise, int fall, Duration interval, TimePoint now,
                Duration passive_window = Duration{0});

    // When the next active check should start; nullopt while one is in flight. Never earlier
    // than the previous start + interval, and never before the previous check finished.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;

    void check_started(TimePoint now);
    // The active check started last has finished (a result without a started check is ignored).
    [[nodiscard]] std::optional<HealthChange> check_finished(TimePoint now, CheckResult result);
    // The check in flight was cancelled (reload): no verdict; due again at start + interval.
    void check_abandoned(TimePoint now);
    // The check in flight could not run on this host (out of fds): no verdict, but it is the
    // last check status output shows.
    void check_inconclusive(TimePoint now, CheckResult result);

    // A failed connect from the data path, so a dead site can go down between two active
    // checks: once `fall` of them came in a row over at least `passive_window`, with no connect
    // succeeding in between (`connects_succeeded`, the data path's running count, unchanged;
    // PassiveStreak). Until then it is counted and shown, but is no verdict: a burst of
    // refusals from a healthy gateway must not cause a sticky failover. An active check that
    // passes does not end the run: it may probe another port or path than the clients use, and
    // a gateway that refuses clients under load may still answer one check.
    // `cause` is the connect's failure, `reason` its words ("connection refused").
    [[nodiscard]] std::optional<HealthChange> passive_failure(TimePoint now, CheckCause cause,
                                                              std::string reason,
                                                              std::uint64_t connects_succeeded);

    // The operator sets the health (HAProxy's `set server health`); the streaks start over and
    // active checks go on from there. A change is reported like a check's, with cause Forced.
    [[nodiscard]] std::optional<HealthChange> force(TimePoint now, Health health);

    // Reload: new thresholds and interval; health, streaks and history are kept.
    void reconfigure(int rise, int fall, Duration interval, Duration passive_window);

    [[nodiscard]] Health health() const { return state_.health(); }
    [[nodiscard]] SiteSnapshot snapshot() const;

private:
    [[nodiscard]] std::optional<HealthChange> record(TimePoint now, CheckResult result);
    void count_change(TimePoint now, Health from, Health to);

    CheckState state_;
    PassiveStreak passive_;
    Duration interval_;
    TimePoint last_start_;
    TimePoint last_finish_;
    bool started_once_ = false;
    bool in_flight_ = false;
    std::optional<CheckResult> last_result_;
    std::optional<CheckResult> last_check_;
    std::optional<TimePoint> last_check_at_;
    std::optional<TimePoint> last_change_;
    std::uint64_t checks_ = 0;
    std::uint64_t checks_failed_ = 0;
    std::uint64_t passive_failures_ = 0;
    std::uint64_t health_changes_ = 0;
    std::uint64_t down_transitions_ = 0;
    Duration downtime_{0};
    std::optional<TimePoint> down_since_;
};

}  // namespace lb::health
