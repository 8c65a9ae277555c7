// Injectable time for drivers: a Clock plus one-shot timers. The daemon and the workers use
// LoopScheduler (libuv timers); tests use ManualScheduler (tests/support), whose time moves only
// when the test advances it, so timeouts, intervals and hold-downs are tested without sleeping.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "lb/base/clock.h"

namespace lb {

// A one-shot timer. Destroying it cancels it: its callback never runs afterwards, even when it
// was already due. The callback may destroy the timer or re-arm it.
class Timer {
public:
    virtual ~Timer() = default;
    // Fires once after `delay` (zero or negative: on the next turn). Replaces a pending arm.
    virtual void arm(Duration delay) noexcept = 0;
    virtual void cancel() noexcept = 0;
    [[nodiscard]] virtual bool armed() const noexcept = 0;
};

class Scheduler : public Clock {
public:
    // `fire` runs on the scheduler's thread. Never null.
    [[nodiscard]] virtual std::unique_ptr<Timer> make_timer(std::function<void()> fire) = 0;

    // Arms `timer` to fire at `deadline` on this scheduler's clock.
    void arm_at(Timer& timer, TimePoint deadline) const noexcept {
        const TimePoint at = now();
        timer.arm(deadline > at ? deadline - at : Duration::zero());
    }
};

// libuv-backed: timers are uv_timer_t on `loop`, owned through UvHandle, so a timer may be
// destroyed inside its own callback. Loop thread only.
class LoopScheduler final : public Scheduler {
public:
    explicit LoopScheduler(uv_loop_t* loop) : loop_(loop) {}
    [[nodiscard]] TimePoint now() const override { return LoopClock(loop_).now(); }
    [[nodiscard]] std::unique_ptr<Timer> make_timer(std::function<void()> fire) override;
    [[nodiscard]] uv_loop_t* loop() const { return loop_; }

private:
    uv_loop_t* loop_;
};

}  // namespace lb
