// Time that moves only when a test says so: a Scheduler whose timers fire inside advance(), in
// deadline order (ties in arming order), with now() set to each timer's deadline as it fires.
// Drivers under test run exactly as in the daemon, without a single sleep.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "lb/base/scheduler.h"

namespace lb::test {

class ManualScheduler final : public Scheduler {
public:
    explicit ManualScheduler(TimePoint start = TimePoint(Duration(1'000'000)));
    ~ManualScheduler() override;  // timers still alive are detached (they never fire)
    ManualScheduler(const ManualScheduler&) = delete;
    ManualScheduler& operator=(const ManualScheduler&) = delete;

    [[nodiscard]] TimePoint now() const override { return now_; }
    [[nodiscard]] std::unique_ptr<Timer> make_timer(std::function<void()> fire) override;

    // Moves time forward by `by`, firing every timer that falls due on the way (including timers
    // armed by those callbacks). Returns how many fired.
    std::size_t advance(Duration by);
    // Fires what is due now (zero-delay arms) without moving time.
    std::size_t run_due() { return advance(Duration::zero()); }
    // The earliest armed deadline, if any.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    [[nodiscard]] std::size_t armed_count() const;

private:
    class ManualTimer;
    friend class ManualTimer;

    TimePoint now_;
    std::uint64_t next_sequence_ = 0;
    std::vector<ManualTimer*> timers_;  // every live timer, armed or not
};

}  // namespace lb::test
