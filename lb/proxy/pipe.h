// One direction of a proxied connection: read from `from`, write to `to`. At most one write in
// flight and one buffer held; while a write waits, the source is not read (backpressure). A FIN
// from the source becomes shutdown(SHUT_WR) on the sink, queued behind pending writes.
#pragma once

#include <uv.h>

#include <cstdint>

#include "lb/proxy/buffer_pool.h"

namespace lb {

class Pipe;

// What a pipe tells its session. Called on the loop thread, never re-entrantly from start().
class PipeEvents {
public:
    enum class End { Source, Sink };
    virtual void on_pipe_progress(Pipe& pipe) noexcept = 0;  // bytes moved
    virtual void on_pipe_finished(Pipe& pipe) noexcept = 0;  // FIN passed on and acknowledged
    // Reading the source or writing the sink failed (reset, EPIPE, ...).
    virtual void on_pipe_failed(Pipe& pipe, End end, int status) noexcept = 0;

protected:
    ~PipeEvents() = default;
};

class Pipe {
public:
    // `alloc`/`read` are the owner's trampolines for `from`; they route back to on_alloc/on_read.
    struct Source {
        uv_stream_t* stream;
        uv_alloc_cb alloc;
        uv_read_cb read;
    };
    Pipe(PipeEvents& events, BufferPool& pool, Source from, uv_stream_t* to);
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    // Begins reading the source. Returns a libuv status.
    [[nodiscard]] int start();
    // The session is closing: no more callbacks reach it. Pending requests still complete
    // (libuv cancels them) before the streams' close callbacks.
    void abandon() noexcept { abandoned_ = true; }

    // Called by the session's read trampolines for the `from` stream.
    void on_alloc(uv_buf_t* buf) noexcept;
    void on_read(ssize_t nread, const uv_buf_t* buf) noexcept;

    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    [[nodiscard]] bool finished() const { return finished_; }
    [[nodiscard]] bool saw_fin() const { return fin_seen_; }
    // The opposite direction: when it has finished, a FIN needs no shutdown(2) of its own,
    // since the session then closes both sockets and close() sends it.
    void set_opposite(const Pipe* opposite) { opposite_ = opposite; }

private:
    static void on_written(uv_write_t* req, int status) noexcept;
    static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
    void forward_fin() noexcept;
    void release_buffer() noexcept;
    void fail(PipeEvents::End end, int status) noexcept;

    PipeEvents& events_;
    BufferPool& pool_;
    Source from_;
    uv_stream_t* to_;
    char* buffer_ = nullptr;  // leased from pool_ only while bytes are in flight
    uv_buf_t pending_{};
    uv_write_t write_req_{};
    uv_shutdown_t shutdown_req_{};
    std::uint64_t bytes_ = 0;
    bool fin_seen_ = false;
    bool finished_ = false;
    bool abandoned_ = false;
    const Pipe* opposite_ = nullptr;
};

}  // namespace lb
