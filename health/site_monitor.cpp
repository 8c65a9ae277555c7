// SiteMonitor: scheduling arithmetic and verdict bookkeeping for one site; the driver
// (lb/health_runner) turns next_deadline() into a timer and results into callbacks.
#include "health/site_monitor.h"

#include <algorithm>

namespace lb::health {
namespace {

std::string fmt_forced(Health health) {
    return std::string("set ") + to_string(health) + " by the operator";
}

}  // namespace

SiteMonitor::SiteMonitor(int rise, int fall, Duration interval, TimePoint now,
                         Duration passive_window)
    : state_(rise, fall),
      passive_(fall, passive_window),
      interval_(interval),
      last_start_(now),
      last_finish_(now) {}

std::optional<TimePoint> SiteMonitor::next_deadline() const {
    if (in_flight_) return std::nullopt;
    if (!started_once_) return last_start_;  // the creation time: check at once
    return std::max(last_start_ + interval_, last_finish_);
}

void SiteMonitor::check_started(TimePoint now) {
    started_once_ = true;
    in_flight_ = true;
    last_start_ = now;
}

std::optional<HealthChange> SiteMonitor::check_finished(TimePoint now, CheckResult result) {
    if (!in_flight_) return std::nullopt;
    in_flight_ = false;
    last_finish_ = now;
    ++checks_;
    result.origin = CheckOrigin::Active;
    if (!result.ok) ++checks_failed_;
    last_check_ = result;
    last_check_at_ = now;
    return record(now, std::move(result));
}

void SiteMonitor::check_abandoned(TimePoint now) {
    if (!in_flight_) return;
    in_flight_ = false;
    last_finish_ = now;
}

void SiteMonitor::check_inconclusive(TimePoint now, CheckResult result) {
    if (!in_flight_) return;
    check_abandoned(now);
    result.origin = CheckOrigin::Active;
    last_check_ = std::move(result);
    last_check_at_ = now;
}

std::optional<HealthChange> SiteMonitor::passive_failure(TimePoint now, CheckCause cause,
                                                         std::string reason,
                                                         std::uint64_t connects_succeeded) {
    ++passive_failures_;
    const bool run_complete = passive_.failed(now, connects_succeeded);
    last_result_ = CheckResult{.ok = false,
                               .cause = cause,
                               .reason = std::move(reason),
                               .latency = std::chrono::microseconds{0},
                               .origin = CheckOrigin::Passive};
    if (!run_complete || state_.health() == Health::Down) return std::nullopt;
    // Down as a completed fall streak would be: active checks go on from Down, and `rise` of
    // them bring the site back.
    const auto lasted = std::chrono::duration_cast<Duration>(now - *passive_.since());
    std::string why = describe(*last_result_) + " (" + std::to_string(passive_.failures()) +
                      " failed connects in a row over " + format_duration(lasted) + ")";
    const Health before = state_.health();
    (void)state_.force(Health::Down);
    count_change(now, before, Health::Down);
    return HealthChange{.from = before, .to = Health::Down, .reason = std::move(why), .cause = cause};
}

void SiteMonitor::reconfigure(int rise, int fall, Duration interval, Duration passive_window) {
    state_.set_thresholds(rise, fall);
    passive_.reconfigure(fall, passive_window);
    interval_ = interval;
}

SiteSnapshot SiteMonitor::snapshot() const {
    return SiteSnapshot{.health = state_.health(),
                        .consecutive_successes = state_.consecutive_successes(),
                        .consecutive_failures = state_.consecutive_failures(),
                        .rise = state_.rise(),
                        .fall = state_.fall(),
                        .last_result = last_result_,
                        .last_check = last_check_,
                        .last_check_at = last_check_at_,
                        .last_change = last_change_,
                        .checks = checks_,
                        .checks_failed = checks_failed_,
                        .passive_failures = passive_failures_,
                        .passive_run = passive_.failures(),
                        .health_changes = health_changes_,
                        .down_transitions = down_transitions_,
                        .downtime = downtime_,
                        .down_since = down_since_,
                        .check_in_flight = in_flight_};
}

std::optional<HealthChange> SiteMonitor::record(TimePoint now, CheckResult result) {
    const Health before = state_.health();
    const auto after = state_.record(result.ok);
    last_result_ = std::move(result);
    if (!after) return std::nullopt;
    count_change(now, before, *after);
    return HealthChange{.from = before,
                        .to = *after,
                        .reason = describe(*last_result_),
                        .cause = last_result_->cause};
}

std::optional<HealthChange> SiteMonitor::force(TimePoint now, Health health) {
    const Health before = state_.health();
    const auto after = state_.force(health);
    passive_.reset();  // the streaks start over, the passive run with them
    if (!after) return std::nullopt;
    count_change(now, before, *after);
    return HealthChange{.from = before,
                        .to = *after,
                        .reason = fmt_forced(*after),
                        .cause = CheckCause::Forced};
}

void SiteMonitor::count_change(TimePoint now, Health from, Health to) {
    // A new health starts a new passive run: a site back up after a passive failover must again
    // fail `fall` connects over the window before it is down, not on its first refusal.
    passive_.reset();
    last_change_ = now;
    ++health_changes_;
    if (to == Health::Down && from != Health::Down) {
        ++down_transitions_;
        down_since_ = now;
    } else if (from == Health::Down && down_since_) {
        if (now > *down_since_) downtime_ += now - *down_since_;
        down_since_.reset();
    }
}

}  // namespace lb::health
