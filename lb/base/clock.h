// Injectable time. Pure state machines take a TimePoint; drivers read it from a Clock so tests
// can use ManualClock (tests/support) while the daemon uses the event loop's clock.
#pragma once

#include <uv.h>

#include "config/duration.h"

namespace lb {

class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

// uv_now(): the loop's cached monotonic time in ms, same epoch as steady_clock on Linux.
class LoopClock final : public Clock {
public:
    explicit LoopClock(uv_loop_t* loop) : loop_(loop) {}
    [[nodiscard]] TimePoint now() const override {
        return TimePoint(Duration(static_cast<Duration::rep>(uv_now(loop_))));
    }

private:
    uv_loop_t* loop_;
};

}  // namespace lb
