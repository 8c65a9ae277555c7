// run_until and TestLoop. The ticker is a heap timer freed by its own close callback, so it
// never outlives the loop run that closes it.
#include "tests/support/loop_runner.h"

#include <catch2/catch.hpp>
#include <string>

namespace lb::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kTickMs = 5;

uv_timer_t* start_ticker(uv_loop_t* loop, bool keeps_loop_alive) {
    auto* ticker = new uv_timer_t{};
    uv_timer_init(loop, ticker);
    uv_timer_start(
        ticker, [](uv_timer_t*) {}, kTickMs, kTickMs);
    if (!keeps_loop_alive) uv_unref(reinterpret_cast<uv_handle_t*>(ticker));
    return ticker;
}

void close_ticker(uv_loop_t* loop, uv_timer_t* ticker) {
    uv_close(reinterpret_cast<uv_handle_t*>(ticker),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    uv_run(loop, UV_RUN_NOWAIT);  // runs the close callback
}

// `pred` is checked before each loop turn and once after the deadline.
bool drive(uv_loop_t* loop, const std::function<bool()>& pred, std::chrono::milliseconds timeout,
           bool keeps_loop_alive) {
    const auto deadline = Clock::now() + timeout;
    uv_timer_t* ticker = start_ticker(loop, keeps_loop_alive);
    bool held = pred();
    while (!held && Clock::now() < deadline) {
        // With the ticker keeping the loop alive this blocks at most kTickMs; without it, it
        // returns at once when nothing is left, which is then what `pred` checks.
        uv_run(loop, UV_RUN_ONCE);
        held = pred();
    }
    close_ticker(loop, ticker);
    return held || pred();
}

void close_everything(uv_loop_t* loop) {
    uv_walk(
        loop,
        [](uv_handle_t* handle, void*) {
            if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
}

}  // namespace

bool run_until(uv_loop_t* loop, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout, std::source_location where) {
    const bool held = drive(loop, pred, timeout, /*keeps_loop_alive=*/true);
    if (!held)
        UNSCOPED_INFO("run_until: condition not met within "
                      << timeout.count() << " ms (" << where.file_name() << ":" << where.line()
                      << ")");
    return held;
}

void run_for(uv_loop_t* loop, std::chrono::milliseconds duration) {
    (void)drive(
        loop, [] { return false; }, duration, /*keeps_loop_alive=*/true);
}

TestLoop::TestLoop() { uv_loop_init(&loop_); }

TestLoop::~TestLoop() {
    if (closed_) return;
    (void)drive(
        &loop_, [this] { return uv_loop_alive(&loop_) == 0; }, std::chrono::seconds(5),
        /*keeps_loop_alive=*/false);
    if (uv_loop_close(&loop_) == 0) return;
    close_everything(&loop_);  // leaked handles: their owners' memory is lost, the loop is not
    (void)uv_loop_close(&loop_);
}

int TestLoop::close(std::chrono::milliseconds timeout) {
    (void)drive(
        &loop_, [this] { return uv_loop_alive(&loop_) == 0; }, timeout,
        /*keeps_loop_alive=*/false);
    const int rc = uv_loop_close(&loop_);
    if (rc == 0) {
        closed_ = true;
    } else {
        uv_walk(
            &loop_,
            [](uv_handle_t* handle, void*) {
                UNSCOPED_INFO("open handle at loop close: "
                              << uv_handle_type_name(handle->type)
                              << (uv_is_closing(handle) ? " (closing)" : ""));
            },
            nullptr);
    }
    return rc;
}

}  // namespace lb::test
