#include "lb/base/event_loop.h"

#include "lb/base/assert.h"
#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb {

EventLoop::EventLoop() {
    LB_CHECK(uv_loop_init(&loop_) == 0);
    // Idle-time accounting (an uncontended lock per poll): HAProxy's Idle_pct in `show info`.
    (void)uv_loop_configure(&loop_, UV_METRICS_IDLE_TIME);
    LB_CHECK(uv_async_init(&loop_, &inbox_, &EventLoop::on_wakeup) == 0);
    inbox_.data = this;
    inbox_open_ = true;
}

EventLoop::~EventLoop() {
    shutdown_inbox();
    // Let every close callback run so no handle memory is left behind.
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (const int rc = uv_loop_close(&loop_); rc != 0)
        log::error("event loop closed with handles still open: {}", uv_error_text(rc));
}

bool EventLoop::post(std::function<void()> task) {
    // Sending under the lock: shutdown_inbox() cannot close the handle in between.
    std::lock_guard lock(mutex_);
    if (!inbox_open_) return false;
    queue_.push_back(std::move(task));
    uv_async_send(&inbox_);
    return true;
}

void EventLoop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void EventLoop::shutdown_inbox() {
    {
        std::lock_guard lock(mutex_);
        if (!inbox_open_) return;
        inbox_open_ = false;
    }
    drain();  // tasks already accepted still run: they may hold promises of replies
    uv_close(reinterpret_cast<uv_handle_t*>(&inbox_), nullptr);
}

void EventLoop::on_wakeup(uv_async_t* async) noexcept {
    auto* self = static_cast<EventLoop*>(async->data);
    if (self != nullptr) self->drain();
}

void EventLoop::drain() {
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(queue_);
    }
    for (auto& task : batch) task();
}

}  // namespace lb
