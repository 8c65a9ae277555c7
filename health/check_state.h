// Health of one site from a sequence of check verdicts: `rise` successes in a row bring it Up,
// `fall` failures in a row bring it Down. A site starts Unknown until one streak completes.
#pragma once

#include <optional>

namespace lb::health {

enum class Health { Unknown, Up, Down };

[[nodiscard]] const char* to_string(Health health);  // "unknown" | "up" | "down"

class CheckState {
public:
    // rise and fall below 1 are treated as 1 (config validation rejects them; this keeps the
    // state machine total).
    CheckState(int rise, int fall, Health initial = Health::Unknown);

    // Counts one verdict; returns the new health when this verdict changes it. Unknown leaves on
    // whichever streak completes first: Up after `rise` successes, Down after `fall` failures.
    [[nodiscard]] std::optional<Health> record(bool ok);

    // Reload: new thresholds, same health and streaks. A streak that already meets a lowered
    // threshold completes on the next verdict of its kind (no transition without a verdict).
    void set_thresholds(int rise, int fall);

    // The operator sets the health (HAProxy's `set server B/S health up|down`): the streaks start
    // over, so checks go on from the forced state. Returns the new health when it changed.
    [[nodiscard]] std::optional<Health> force(Health health);

    [[nodiscard]] Health health() const { return health_; }
    // Streak lengths for status output; exactly one is non-zero once any verdict is counted.
    [[nodiscard]] int consecutive_successes() const { return successes_; }
    [[nodiscard]] int consecutive_failures() const { return failures_; }
    [[nodiscard]] int rise() const { return rise_; }
    [[nodiscard]] int fall() const { return fall_; }

private:
    int rise_;
    int fall_;
    Health health_;
    int successes_ = 0;
    int failures_ = 0;
};

}  // namespace lb::health
