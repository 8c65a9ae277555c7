// One libuv loop and its cross-thread inbox. Other threads reach the loop only through post();
// uv_async_send coalesces wake-ups, so each wake-up drains the whole queue.
#pragma once

#include <uv.h>

#include <cstdint>

#include <functional>
#include <mutex>
#include <vector>

namespace lb {

class EventLoop {
public:
    EventLoop();
    ~EventLoop();  // closes the inbox, runs the loop until every handle is closed, closes it
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    [[nodiscard]] uv_loop_t* raw() { return &loop_; }
    // Nanoseconds this loop has spent waiting for events since it first ran. Any thread (libuv
    // guards the figure with a lock).
    [[nodiscard]] std::uint64_t idle_time_ns() { return uv_metrics_idle_time(&loop_); }

    // Runs `task` on this loop's thread. Any thread. After shutdown_inbox() the task is dropped
    // and post() returns false.
    bool post(std::function<void()> task);
    // Runs until uv_stop() or until nothing is left to do.
    void run();
    // Stops accepting posted tasks and closes the inbox handle (call on the loop's thread).
    void shutdown_inbox();

private:
    static void on_wakeup(uv_async_t* async) noexcept;
    void drain();

    uv_loop_t loop_{};
    uv_async_t inbox_{};
    std::mutex mutex_;
    std::vector<std::function<void()>> queue_;
    bool inbox_open_ = false;
};

}  // namespace lb
