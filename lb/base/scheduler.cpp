#include "lb/base/scheduler.h"

#include <utility>

#include "lb/base/uv_handle.h"

namespace lb {
namespace {

class LoopTimer final : public Timer {
public:
    LoopTimer(uv_loop_t* loop, std::function<void()> fire) : fire_(std::move(fire)) {
        auto* timer = new uv_timer_t{};
        uv_timer_init(loop, timer);  // cannot fail: no allocation, no syscall
        timer->data = this;
        timer_ = UvHandle<uv_timer_t>(timer);
    }

    void arm(Duration delay) noexcept override {
        const auto ms = delay.count() > 0 ? static_cast<std::uint64_t>(delay.count()) : 0;
        uv_timer_start(timer_.get(), &LoopTimer::on_fire, ms, 0);
    }
    void cancel() noexcept override { uv_timer_stop(timer_.get()); }
    [[nodiscard]] bool armed() const noexcept override {
        return uv_is_active(reinterpret_cast<const uv_handle_t*>(timer_.get())) != 0;
    }

private:
    static void on_fire(uv_timer_t* timer) noexcept {
        auto* self = static_cast<LoopTimer*>(timer->data);
        if (self == nullptr) return;  // destroyed: UvHandle cleared data
        self->fire_();                // may destroy self: touch nothing afterwards
    }

    std::function<void()> fire_;
    UvHandle<uv_timer_t> timer_;  // data = this
};

}  // namespace

std::unique_ptr<Timer> LoopScheduler::make_timer(std::function<void()> fire) {
    return std::make_unique<LoopTimer>(loop_, std::move(fire));
}

}  // namespace lb
