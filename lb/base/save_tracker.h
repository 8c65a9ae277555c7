// Whether a state file (the balancer's policy, the arbiter's decision) holds the decision in
// memory, and what a save's outcome is worth saying. A disk that refuses writes (read-only, full)
// is reported once when it starts refusing and once when it takes a write again, never per
// attempt: the owners retry (the policy driver on a timer and at every change, the arbiter at
// every request), and a log line per retry would bury everything else.
#pragma once

namespace lb {

class SaveTracker {
public:
    enum class Report {
        Nothing,    // as before: saved after saves, or failed again
        Failing,    // the first failure after a success (or since start)
        Recovered,  // the first success after failures
    };

    // The decision changed: the file lags it until a save succeeds.
    void on_change() { pending_ = true; }
    // The outcome of a save of the current decision.
    [[nodiscard]] Report on_saved(bool ok);

    // A save is still owed (the last attempt failed).
    [[nodiscard]] bool pending() const { return pending_; }
    [[nodiscard]] bool failing() const { return failing_; }

private:
    bool pending_ = false;
    bool failing_ = false;
};

}  // namespace lb
