// One direction of a proxied connection on the copy path: read from `from`, write to `to`. At
// most one write in flight and one buffer held; while a write waits, the source is not read
// (backpressure). A FIN from the source becomes shutdown(SHUT_WR) on the sink, queued behind
// pending writes. CopyForwarder pairs two of them; a Pipe alone is the unit its tests drive.
#pragma once

#include <uv.h>

#include <cstdint>

#include "lb/proxy/buffer_pool.h"

namespace lb {

class Pipe;

// What a pipe tells its owner. Called on the loop thread, never from start() or abandon().
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
    Pipe(PipeEvents& events, BufferPool& pool, uv_stream_t* from, uv_stream_t* to);
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    // Begins (or resumes) reading the source. Returns a libuv status. libuv hands a read
    // callback only the stream, so from start() until abandon() the pipe borrows `from->data`
    // for its trampolines; abandon() gives the owner's value back.
    [[nodiscard]] int start();
    // The owner is closing: reading stops, `from->data` is the owner's again and no callback
    // reaches the owner any more. Pending requests still complete (libuv cancels them when the
    // streams close), so the pipe must outlive the streams' close callbacks.
    void abandon() noexcept;

    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    [[nodiscard]] bool finished() const { return finished_; }
    [[nodiscard]] bool saw_fin() const { return fin_seen_; }
    // The opposite direction: when it has finished, a FIN needs no shutdown(2) of its own,
    // since the owner then closes both sockets and close() sends it.
    void set_opposite(const Pipe* opposite) { opposite_ = opposite; }

private:
    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_written(uv_write_t* req, int status) noexcept;
    static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
    void read(ssize_t nread) noexcept;
    void forward_fin() noexcept;
    void give_back_source() noexcept;
    void release_buffer() noexcept;
    void fail(PipeEvents::End end, int status) noexcept;

    PipeEvents& events_;
    BufferPool& pool_;
    uv_stream_t* from_;
    uv_stream_t* to_;
    void* owner_data_ = nullptr;  // from_->data while borrowed
    bool borrowed_ = false;
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
