#include "lb/base/timer_heap.h"

#include <utility>

namespace lb {

class TimerHeap::HeapTimer final : public Timer {
public:
    HeapTimer(TimerHeap& heap, std::function<void()> fire) : heap_(heap), fire_(std::move(fire)) {}
    ~HeapTimer() override { cancel(); }
    HeapTimer(const HeapTimer&) = delete;
    HeapTimer& operator=(const HeapTimer&) = delete;

    void arm(Duration delay) noexcept override {
        heap_.schedule(*this, heap_.now() + (delay.count() > 0 ? delay : Duration::zero()));
    }
    void cancel() noexcept override {
        if (index_ != kNotArmed) heap_.unschedule(*this);
    }
    [[nodiscard]] bool armed() const noexcept override { return index_ != kNotArmed; }

    static constexpr std::size_t kNotArmed = static_cast<std::size_t>(-1);
    TimerHeap& heap_;
    std::function<void()> fire_;
    std::size_t index_ = kNotArmed;  // its place in heap_.heap_
};

TimerHeap::TimerHeap(uv_loop_t* loop) : loop_(loop) {
    auto* timer = new uv_timer_t{};
    uv_timer_init(loop, timer);  // cannot fail: no allocation, no syscall
    timer->data = this;
    loop_timer_ = UvHandle<uv_timer_t>(timer);
}

std::unique_ptr<Timer> TimerHeap::make_timer(std::function<void()> fire) {
    return std::make_unique<HeapTimer>(*this, std::move(fire));
}

void TimerHeap::schedule(HeapTimer& timer, TimePoint due) noexcept {
    if (timer.index_ != HeapTimer::kNotArmed) remove_at(timer.index_);
    heap_.push_back(Entry{due, next_order_++, &timer});
    timer.index_ = heap_.size() - 1;
    sift_up(heap_.size() - 1);
    if (heap_.front().timer == &timer) rearm_loop_timer();
}

void TimerHeap::unschedule(HeapTimer& timer) noexcept {
    const bool was_first = timer.index_ == 0;
    remove_at(timer.index_);
    if (was_first) rearm_loop_timer();
}

void TimerHeap::on_due(uv_timer_t* handle) noexcept {
    if (auto* self = static_cast<TimerHeap*>(handle->data)) self->run_due();
}

void TimerHeap::run_due() noexcept {
    const TimePoint at = now();
    // Only timers armed before this pass fire in it: one re-armed from its own callback with no
    // delay waits for the next loop turn instead of running forever here.
    const std::uint64_t pass = next_order_;
    while (!heap_.empty() && heap_.front().due <= at && heap_.front().order < pass) {
        HeapTimer& timer = *heap_.front().timer;
        remove_at(0);
        timer.fire_();  // may destroy or re-arm any timer, this one included
    }
    // One armed during this pass and due already: 1 ms, since libuv before 1.48 would run a 0 ms
    // timer started from a timer callback again in the same pass (and so forever).
    if (!heap_.empty() && heap_.front().due <= at && loop_timer_) {
        uv_timer_start(loop_timer_.get(), &TimerHeap::on_due, 1, 0);
        return;
    }
    rearm_loop_timer();
}

void TimerHeap::rearm_loop_timer() noexcept {
    if (!loop_timer_) return;
    if (heap_.empty()) {
        uv_timer_stop(loop_timer_.get());
        return;
    }
    const Duration wait = heap_.front().due - now();
    const auto ms = wait.count() > 0 ? static_cast<std::uint64_t>(wait.count()) : 0;
    uv_timer_start(loop_timer_.get(), &TimerHeap::on_due, ms, 0);
}

void TimerHeap::place(std::size_t index, Entry entry) noexcept {
    heap_[index] = entry;
    entry.timer->index_ = index;
}

void TimerHeap::sift_up(std::size_t index) noexcept {
    const Entry entry = heap_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / 2;
        if (!earlier(entry, heap_[parent])) break;
        place(index, heap_[parent]);
        index = parent;
    }
    place(index, entry);
}

void TimerHeap::sift_down(std::size_t index) noexcept {
    const Entry entry = heap_[index];
    const std::size_t size = heap_.size();
    while (true) {
        std::size_t child = 2 * index + 1;
        if (child >= size) break;
        if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
        if (!earlier(heap_[child], entry)) break;
        place(index, heap_[child]);
        index = child;
    }
    place(index, entry);
}

void TimerHeap::remove_at(std::size_t index) noexcept {
    heap_[index].timer->index_ = HeapTimer::kNotArmed;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (index == heap_.size()) return;  // it was the last one
    place(index, last);
    sift_down(index);
    sift_up(last.timer->index_);  // where sift_down left it
}

}  // namespace lb
