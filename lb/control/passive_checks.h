// Passive health checks: the data path's failed connects are judged by the HealthRunner, whose
// verdicts reach the policy as every other check's. Workers call on_connect_failed and
// on_connected on their own threads. A failure crosses to the main loop once; a success only
// bumps the site's counter (one relaxed add per connection, no message), which the main loop
// reads with each failure: a moved counter means a connect succeeded since the last failure.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "health/check_result.h"
#include "lb/base/event_loop.h"
#include "lb/control/health_runner.h"
#include "lb/proxy/termination.h"
#include "lb/proxy/worker.h"

namespace lb {

// The check cause of a connect failure; only connect failures are passed on.
[[nodiscard]] health::CheckCause check_cause(Termination::Cause cause);

class PassiveChecks final : public DataPathObserver {
public:
    // `main_loop` runs `runner`; the runner must outlive every task posted to that loop, or
    // stop() must be called first.
    PassiveChecks(EventLoop& main_loop, HealthRunner& runner)
        : main_loop_(main_loop), runner_(&runner) {}

    // Main loop: later failures are dropped (the daemon is stopping).
    void stop() { runner_ = nullptr; }

    // Worker threads.
    void on_connect_failed(std::size_t site, const Termination& why) noexcept override;
    void on_connected(std::size_t site) noexcept override;

private:
    EventLoop& main_loop_;
    HealthRunner* runner_;  // main loop only
    // Connects that succeeded, by site index (0 primary, 1 standby), since the start.
    std::array<std::atomic<std::uint64_t>, 2> connected_{};
};

}  // namespace lb
