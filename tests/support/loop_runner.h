// Running an in-process libuv loop in a test without sleeping: run it until a condition holds or
// a deadline passes, and close it the way every component test must end (uv_loop_close == 0).
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <source_location>

namespace lb::test {

// Runs `loop` until `pred` holds (true) or `timeout` passes (false, with a message naming the
// caller's file:line for the failing REQUIRE). A 5 ms ticker keeps the loop waking up, so a
// predicate fed by another thread or process is seen too. Loop thread only.
[[nodiscard]] bool run_until(uv_loop_t* loop, const std::function<bool()>& pred,
                             std::chrono::milliseconds timeout,
                             std::source_location where = std::source_location::current());

// Runs `loop` for `duration` whatever happens: to show that something does NOT happen
// (a callback that must not run). Never used to wait for something.
void run_for(uv_loop_t* loop, std::chrono::milliseconds duration);

// An owned loop for one test.
class TestLoop {
public:
    TestLoop();
    // If close() was not called (a failed REQUIRE), closes whatever is left, so later tests in
    // the binary start clean.
    ~TestLoop();
    TestLoop(const TestLoop&) = delete;
    TestLoop& operator=(const TestLoop&) = delete;

    [[nodiscard]] uv_loop_t* get() { return &loop_; }
    [[nodiscard]] bool run_until(const std::function<bool()>& pred,
                                 std::chrono::milliseconds timeout,
                                 std::source_location where = std::source_location::current()) {
        return test::run_until(&loop_, pred, timeout, where);
    }
    // Runs until no handle is left (or `timeout`), then returns uv_loop_close's status: 0 when
    // every handle was closed, UV_EBUSY when something leaked. Tests CHECK(loop.close() == 0).
    [[nodiscard]] int close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

private:
    uv_loop_t loop_{};
    bool closed_ = false;
};

}  // namespace lb::test
