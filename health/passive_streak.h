// Passive failures judged over time. A client connect that fails says less than an active check
// that fails: a healthy gateway whose accept queue overflows for a moment refuses a handful of
// connects among thousands that succeed. So the data path's failures bring a site down only
// when `fall` of them came in a row (no client connect to the site succeeded in between) and
// the run has lasted at least `window` since its first failure. A dead
// gateway under load fails every connect, and is down one `window` after it died; a burst of
// refusals shorter than `window`, or with successes among it, is not.
#pragma once

#include <cstdint>
#include <optional>

#include "config/duration.h"

namespace lb::health {

class PassiveStreak {
public:
    // `fall` below 1 counts as 1; a negative `window` as 0 (any `fall` failures in a row).
    PassiveStreak(int fall, Duration window);

    // A connect to the site failed at `now`. `connects_succeeded` is how many connects to the
    // site have succeeded since the process started (a counter the data path keeps): when it
    // moved since the previous failure, a connect succeeded in between and the run starts over.
    // True when the run now meets both thresholds (and on every failure after that, until
    // reset()).
    [[nodiscard]] bool failed(TimePoint now, std::uint64_t connects_succeeded);
    // The run starts over (the operator set the site's health).
    void reset();
    // Reload: new thresholds; a run in progress is judged by them from its next failure.
    void reconfigure(int fall, Duration window);

    // The failures in the current run, and when it began (status output).
    [[nodiscard]] int failures() const { return failures_; }
    [[nodiscard]] std::optional<TimePoint> since() const { return since_; }
    [[nodiscard]] int fall() const { return fall_; }
    [[nodiscard]] Duration window() const { return window_; }

private:
    int fall_;
    Duration window_;
    int failures_ = 0;
    std::optional<TimePoint> since_;
    std::uint64_t successes_seen_ = 0;
};

}  // namespace lb::health
