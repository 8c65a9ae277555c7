// Real loopback connections for the data-path component tests: a connected TCP pair whose one
// end goes to the code under test as a uv_tcp_t and whose other end the test drives by hand
// (non-blocking, from run_until predicates, so the loop and the test share one thread).
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tests/support/test_sockets.h"

namespace lb::test {

struct LoopbackPair {
    Fd near;  // for the code under test
    Fd far;   // the peer the test plays
};

// A connected 127.0.0.1 pair, both ends non-blocking. `buffer_bytes` > 0 fixes SO_SNDBUF and
// SO_RCVBUF on both ends (no autotuning), so how much the kernel can hold is bounded and known.
[[nodiscard]] LoopbackPair loopback_pair(int buffer_bytes = 0);

// As the daemon does at start (lb/cli.cpp): writing to a peer that reset is EPIPE, not SIGPIPE.
void ignore_sigpipe();

// Wraps `fd` in a uv_tcp_t on `loop` (the handle owns the fd from here on). Free it with
// close_stream(), whose close callback deletes it; `data` is left null. Calls ignore_sigpipe().
[[nodiscard]] uv_tcp_t* open_stream(uv_loop_t* loop, Fd fd);
void close_stream(uv_tcp_t* tcp);

// One peer socket driven by the test: poll() sends what is queued and reads what is there,
// without blocking, and notes how the stream ended.
class PeerSocket {
public:
    explicit PeerSocket(Fd fd) : fd_(std::move(fd)) {}

    [[nodiscard]] int fd() const { return fd_.get(); }
    void queue(std::string_view bytes) { outgoing_.append(bytes); }
    // Sends (unless `write` is false) and reads (unless `read` is false) what it can now.
    void poll(bool read = true, bool write = true);
    // After everything queued is sent: shutdown(SHUT_WR), a FIN.
    void shutdown_after_sent() { shutdown_pending_ = true; }
    // Closes with SO_LINGER 0: the other end sees a RST.
    void reset();

    [[nodiscard]] const std::string& received() const { return received_; }
    [[nodiscard]] std::size_t sent() const { return sent_; }
    [[nodiscard]] bool all_sent() const { return sent_ == outgoing_.size(); }
    [[nodiscard]] bool send_blocked() const { return send_blocked_; }
    [[nodiscard]] bool saw_eof() const { return eof_; }
    [[nodiscard]] int error() const { return error_; }  // errno of a failed read or write

private:
    Fd fd_;
    std::string outgoing_;
    std::size_t sent_ = 0;
    std::string received_;
    bool shutdown_pending_ = false;
    bool shut_down_ = false;
    bool send_blocked_ = false;  // the last send attempt hit EAGAIN
    bool eof_ = false;
    int error_ = 0;
};

// `size` deterministic bytes (seeded), for checking a transfer byte for byte.
[[nodiscard]] std::string test_bytes(std::size_t size, std::uint64_t seed);

// Runs `loop`, calling `drive` before every turn, until `progress()` has stayed the same for one
// whole `window` (true), or `timeout` passes (false). For backpressure: the state where nothing
// moves any more is the one under test, so this waits for it rather than assuming it.
[[nodiscard]] bool run_until_stalled(uv_loop_t* loop, const std::function<void()>& drive,
                                     const std::function<std::uint64_t()>& progress,
                                     std::chrono::milliseconds window,
                                     std::chrono::milliseconds timeout);
// Runs `loop` for `duration`, calling `drive` before every turn.
void run_driving(uv_loop_t* loop, const std::function<void()>& drive,
                 std::chrono::milliseconds duration);

}  // namespace lb::test
