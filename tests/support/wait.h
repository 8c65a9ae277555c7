// Deadlines and condition waits for tests on real sockets and processes: a test waits for a
// condition it can observe (bytes seen, a log line, a process gone), never for a fixed time.
#pragma once

#include <chrono>
#include <thread>

namespace lb::test {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

[[nodiscard]] inline Deadline deadline_in(SteadyClock::duration from_now) {
    return SteadyClock::now() + from_now;
}

[[nodiscard]] inline bool expired(Deadline deadline) { return SteadyClock::now() >= deadline; }

// Milliseconds from `since` to now, for timing assertions.
[[nodiscard]] inline long long elapsed_ms(SteadyClock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since)
        .count();
}

// Evaluates `pred` until it holds or `deadline` passes; true if it held. The predicate is checked
// once more at the deadline, so a condition that became true just in time is not missed.
template <typename Pred>
[[nodiscard]] bool wait_until(Pred&& pred, Deadline deadline,
                              SteadyClock::duration poll = std::chrono::milliseconds(5)) {
    for (;;) {
        if (pred()) return true;
        if (expired(deadline)) return pred();
        std::this_thread::sleep_for(poll);
    }
}

}  // namespace lb::test
