// One direction of a connection on the zero-copy path: socket → kernel pipe → socket with
// splice(2), no libuv. Same contract as Pipe: at most one pipeful (kPipeCapacity, kernel memory)
// in flight, the source is not read while it waits (backpressure), and a FIN from the source
// becomes shutdown(SHUT_WR) on the sink once the pipe is empty. When no pipe can be had because
// the process or the system is out of file descriptors (EMFILE, ENFILE), the bytes go through
// a block of the worker's BufferPool with recv/send instead, one block in flight at a time, and
// the next burst tries for a pipe again: a session that could connect never fails for want of
// two more fds.
#pragma once

#include <cstdint>
#include <optional>

#include "lb/proxy/buffer_pool.h"
#include "lb/proxy/kernel_pipe_pool.h"

namespace lb {

class SpliceChannel {
public:
    enum class End { Source, Sink };
    struct Failure {
        End end;
        int status;  // libuv-style negative errno
    };

    SpliceChannel(KernelPipePool& pool, BufferPool& buffers, int from_fd, int to_fd)
        : pool_(pool), buffers_(buffers), from_fd_(from_fd), to_fd_(to_fd) {}
    ~SpliceChannel() { drop_pipe(); }
    SpliceChannel(const SpliceChannel&) = delete;
    SpliceChannel& operator=(const SpliceChannel&) = delete;

    // Moves what it can without blocking. Returns the bytes delivered to the sink now.
    // `other_direction_finished`: the FIN, when it comes, need not be passed on with a
    // shutdown(2), because the session will close both sockets.
    std::uint64_t pump(bool other_direction_finished) noexcept;

    // What to wait for next (level-triggered readiness of from_fd / to_fd).
    [[nodiscard]] bool wants_read() const { return !failure_ && !fin_seen_ && in_flight_ == 0; }
    [[nodiscard]] bool wants_write() const { return !failure_ && in_flight_ > 0; }
    [[nodiscard]] bool finished() const { return finished_; }
    [[nodiscard]] const std::optional<Failure>& failure() const { return failure_; }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    // The connection is ending and pump() will not be called again: gives the kernel pipe (or
    // the buffer) back now (a pipe is discarded if bytes are left in it).
    void drop_pipe() noexcept;

private:
    // A pipe, else (out of fds) a buffer to carry the next burst; false with errno set if
    // neither.
    [[nodiscard]] bool lease_carrier() noexcept;
    // The carrier is empty: back to its pool, so an idle session holds neither.
    void release_carrier() noexcept;
    void fail(End end, int error_number) noexcept;

    KernelPipePool& pool_;
    BufferPool& buffers_;
    int from_fd_;
    int to_fd_;
    std::optional<KernelPipe> pipe_;
    char* buffer_ = nullptr;     // instead of pipe_, when no pipe could be had
    std::size_t sent_ = 0;       // bytes of buffer_ already written to the sink
    std::size_t in_flight_ = 0;  // bytes read from the source, not yet written to the sink
    std::uint64_t bytes_ = 0;
    bool fin_seen_ = false;
    bool finished_ = false;
    std::optional<Failure> failure_;
};

}  // namespace lb
