// A Scheduler for many short-lived timers (one per client session): every timer lives in one
// binary heap driven by a single uv_timer_t, so a timer costs its own small object and no libuv
// handle (a uv_timer_t is 152 bytes and a second allocation, per session). Same contract as
// LoopScheduler: one-shot timers, destroying one cancels it, a callback may destroy or re-arm
// its timer, timers due together fire in the order they were armed. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lb/base/scheduler.h"
#include "lb/base/uv_handle.h"

namespace lb {

class TimerHeap final : public Scheduler {
public:
    explicit TimerHeap(uv_loop_t* loop);
    // Must outlive its timers (as a loop outlives its handles).
    ~TimerHeap() = default;
    TimerHeap(const TimerHeap&) = delete;
    TimerHeap& operator=(const TimerHeap&) = delete;

    [[nodiscard]] TimePoint now() const override { return LoopClock(loop_).now(); }
    [[nodiscard]] std::unique_ptr<Timer> make_timer(std::function<void()> fire) override;
    [[nodiscard]] std::size_t armed_count() const { return heap_.size(); }

private:
    class HeapTimer;
    struct Entry {
        TimePoint due;
        std::uint64_t order;  // ties: the earlier arm fires first
        HeapTimer* timer;
    };

    void schedule(HeapTimer& timer, TimePoint due) noexcept;
    void unschedule(HeapTimer& timer) noexcept;
    static void on_due(uv_timer_t* handle) noexcept;
    void run_due() noexcept;
    // Starts (or stops) the one libuv timer for the earliest entry.
    void rearm_loop_timer() noexcept;

    [[nodiscard]] static bool earlier(const Entry& a, const Entry& b) {
        return a.due < b.due || (a.due == b.due && a.order < b.order);
    }
    void place(std::size_t index, Entry entry) noexcept;
    void sift_up(std::size_t index) noexcept;
    void sift_down(std::size_t index) noexcept;
    void remove_at(std::size_t index) noexcept;

    uv_loop_t* loop_;
    UvHandle<uv_timer_t> loop_timer_;
    std::vector<Entry> heap_;
    std::uint64_t next_order_ = 0;
};

}  // namespace lb
