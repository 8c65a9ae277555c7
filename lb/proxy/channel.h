// One direction of a connection: source socket → carrier → sink socket, on raw non-blocking
// fds whose readiness the session's ReadinessSet reports. The carrier is a kernel pipe moved with
// splice(2) (zero copy) or a 64 KiB block of the worker's BufferPool moved with recv/send (copy),
// leased only while bytes are in flight, so an idle connection holds neither. At most one
// carrierful is in flight: the source is not read while it waits (backpressure). A FIN from the
// source becomes shutdown(SHUT_WR) on the sink once the carrier is empty.
//
// The splice strategy moves small messages through a buffer too, as HAProxy's splice-auto does:
// a request or a reply of a few hundred bytes costs the same two syscalls either way, and a copy
// that small is cheaper for the kernel than a pipe's page handling. A read of kBulkRead bytes or
// more marks the direction as bulk, and its next reads go through a pipe until one comes short.
// When no pipe can be had because the process or the system is out of file descriptors (EMFILE,
// ENFILE), that burst goes through a buffer instead and the next one tries for a pipe again: a
// session that could connect never fails for want of two more fds.
#pragma once

#include <cstdint>
#include <optional>

#include "lb/proxy/buffer_pool.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/readiness_set.h"

namespace lb {

class Channel {
public:
    // A read this large (or larger) makes the splice strategy use a pipe for the next one.
    static constexpr std::size_t kBulkRead = 16 * 1024;

    enum class End { Source, Sink };
    struct Failure {
        End end;
        int status;  // libuv-style negative errno
    };

    // `pipes` null: the copy strategy (buffers only).
    Channel(KernelPipePool* pipes, BufferPool& buffers, int from_fd, int to_fd)
        : pipes_(pipes), buffers_(buffers), from_fd_(from_fd), to_fd_(to_fd) {}
    ~Channel() { drop_carrier(); }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    // Moves what the readiness allows, without blocking, and takes readiness back where the
    // kernel said EAGAIN (or a read came up short: the socket is empty until the next edge).
    // `other_direction_finished`: the FIN, when it comes, need not be passed on with a
    // shutdown(2), because the session will close both sockets. Returns the bytes delivered.
    std::uint64_t pump(Readiness& source, Readiness& sink, bool other_direction_finished) noexcept;

    // Whether pump() stopped at its bound with work the readiness still allows.
    [[nodiscard]] bool can_go_on(const Readiness& source, const Readiness& sink) const {
        if (failure_ || finished_) return false;
        if (in_flight_ > 0) return sink.writable;
        return !fin_seen_ && source.readable;
    }
    [[nodiscard]] bool finished() const { return finished_; }
    [[nodiscard]] const std::optional<Failure>& failure() const { return failure_; }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    // The connection is ending and pump() will not be called again: gives the carrier back now
    // (a pipe is discarded if bytes are left in it).
    void drop_carrier() noexcept;

private:
    // A pipe (splice strategy, bulk, fds permitting), else a buffer; false with errno set if
    // neither.
    [[nodiscard]] bool lease_carrier() noexcept;
    // The carrier is empty: back to its pool, so an idle session holds neither.
    void release_carrier() noexcept;
    [[nodiscard]] bool has_carrier() const { return pipe_.has_value() || buffer_ != nullptr; }
    void fail(End end, int error_number) noexcept;

    KernelPipePool* pipes_;
    BufferPool& buffers_;
    int from_fd_;
    int to_fd_;
    std::optional<KernelPipe> pipe_;
    char* buffer_ = nullptr;     // instead of pipe_: the copy strategy, or no pipe could be had
    std::size_t sent_ = 0;       // bytes of buffer_ already written to the sink
    std::size_t in_flight_ = 0;  // bytes read from the source, not yet written to the sink
    std::uint64_t bytes_ = 0;
    bool bulk_ = false;  // splice strategy: the last read was kBulkRead or more
    bool fin_seen_ = false;
    bool finished_ = false;
    std::optional<Failure> failure_;
};

}  // namespace lb
