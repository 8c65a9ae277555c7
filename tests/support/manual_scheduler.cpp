#include "tests/support/manual_scheduler.h"

#include <algorithm>
#include <utility>

namespace lb::test {

class ManualScheduler::ManualTimer final : public Timer {
public:
    ManualTimer(ManualScheduler* owner, std::function<void()> fire)
        : owner_(owner), fire_(std::move(fire)) {}
    ~ManualTimer() override {
        if (owner_ == nullptr) return;
        auto& list = owner_->timers_;
        list.erase(std::remove(list.begin(), list.end(), this), list.end());
    }

    void arm(Duration delay) noexcept override {
        if (owner_ == nullptr) return;
        deadline_ = owner_->now_ + std::max(delay, Duration::zero());
        sequence_ = owner_->next_sequence_++;
    }
    void cancel() noexcept override { deadline_.reset(); }
    [[nodiscard]] bool armed() const noexcept override { return deadline_.has_value(); }

    std::optional<TimePoint> deadline_;
    std::uint64_t sequence_ = 0;
    ManualScheduler* owner_;
    std::function<void()> fire_;
};

ManualScheduler::ManualScheduler(TimePoint start) : now_(start) {}

ManualScheduler::~ManualScheduler() {
    for (ManualTimer* timer : timers_) timer->owner_ = nullptr;
}

std::unique_ptr<Timer> ManualScheduler::make_timer(std::function<void()> fire) {
    auto timer = std::make_unique<ManualTimer>(this, std::move(fire));
    timers_.push_back(timer.get());
    return timer;
}

std::size_t ManualScheduler::advance(Duration by) {
    const TimePoint target = now_ + std::max(by, Duration::zero());
    std::size_t fired = 0;
    for (;;) {
        ManualTimer* due = nullptr;
        for (ManualTimer* timer : timers_) {
            if (!timer->deadline_ || *timer->deadline_ > target) continue;
            if (due == nullptr || *timer->deadline_ < *due->deadline_ ||
                (*timer->deadline_ == *due->deadline_ && timer->sequence_ < due->sequence_))
                due = timer;
        }
        if (due == nullptr) break;
        now_ = std::max(now_, *due->deadline_);
        due->deadline_.reset();
        ++fired;
        due->fire_();  // may destroy `due` or arm timers
    }
    now_ = target;
    return fired;
}

std::optional<TimePoint> ManualScheduler::next_deadline() const {
    std::optional<TimePoint> earliest;
    for (const ManualTimer* timer : timers_)
        if (timer->deadline_ && (!earliest || *timer->deadline_ < *earliest))
            earliest = timer->deadline_;
    return earliest;
}

std::size_t ManualScheduler::armed_count() const {
    return static_cast<std::size_t>(std::count_if(timers_.begin(), timers_.end(),
                                                  [](const ManualTimer* t) { return t->armed(); }));
}

}  // namespace lb::test
