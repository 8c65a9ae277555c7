#include "lb/proxy/pipe.h"

#include <sys/socket.h>

namespace lb {
namespace {

// The error a socket holds but no call has reported yet (SO_ERROR, as a libuv status); 0 if
// none, or if `stream` is no socket.
int pending_error(const uv_stream_t* stream) noexcept {
    uv_os_fd_t fd = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(stream), &fd) != 0) return 0;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return 0;
    return error == 0 ? 0 : uv_translate_sys_error(error);
}

}  // namespace

Pipe::Pipe(PipeEvents& events, BufferPool& pool, uv_stream_t* from, uv_stream_t* to)
    : events_(events), pool_(pool), from_(from), to_(to) {
    write_req_.data = this;
    shutdown_req_.data = this;
}

Pipe::~Pipe() {
    give_back_source();
    release_buffer();
}

int Pipe::start() {
    if (!borrowed_) {
        owner_data_ = from_->data;
        from_->data = this;
        borrowed_ = true;
    }
    return uv_read_start(from_, &Pipe::on_alloc, &Pipe::on_read);
}

void Pipe::abandon() noexcept {
    abandoned_ = true;
    give_back_source();
}

void Pipe::give_back_source() noexcept {
    if (!borrowed_) return;
    borrowed_ = false;
    uv_read_stop(from_);  // no read callback may find the owner's data instead of this pipe
    from_->data = owner_data_;
}

void Pipe::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) noexcept {
    auto* self = static_cast<Pipe*>(handle->data);
    if (self->buffer_ == nullptr) self->buffer_ = self->pool_.acquire();
    *buf = uv_buf_init(self->buffer_, static_cast<unsigned>(BufferPool::kBlockSize));
}

void Pipe::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) noexcept {
    static_cast<Pipe*>(stream->data)->read(nread);
}

void Pipe::read(ssize_t nread) noexcept {
    if (abandoned_) {
        release_buffer();
        return;
    }
    if (nread == 0) {  // EAGAIN: neither data nor EOF
        release_buffer();
        return;
    }
    if (nread == UV_EOF) {
        release_buffer();
        // libuv reports EOF without calling read(2) when a socket hangs up right after a
        // partial read (uv__stream_io's POLLHUP short cut), so a RST that arrived just then is
        // still pending here, unreported. Passed on as a FIN, it would make a stream the source
        // cut short look complete to the other side: it goes on as the reset it is.
        if (const int error = pending_error(from_); error != 0) {
            fail(PipeEvents::End::Source, error);
            return;
        }
        forward_fin();
        return;
    }
    if (nread < 0) {
        release_buffer();
        fail(PipeEvents::End::Source, static_cast<int>(nread));
        return;
    }
    const auto len = static_cast<unsigned>(nread);
    bytes_ += len;
    uv_buf_t chunk = uv_buf_init(buffer_, len);
    const int sent = uv_try_write(to_, &chunk, 1);
    if (sent == static_cast<int>(len)) {
        release_buffer();  // nothing in flight: an idle session holds no buffer
        events_.on_pipe_progress(*this);
        return;
    }
    if (sent < 0 && sent != UV_EAGAIN) {
        release_buffer();
        fail(PipeEvents::End::Sink, sent);
        return;
    }
    const unsigned done = sent > 0 ? static_cast<unsigned>(sent) : 0;
    pending_ = uv_buf_init(buffer_ + done, len - done);
    uv_read_stop(from_);  // backpressure: wait for the slower side
    if (const int rc = uv_write(&write_req_, to_, &pending_, 1, &Pipe::on_written); rc != 0) {
        release_buffer();
        fail(PipeEvents::End::Sink, rc);
        return;
    }
    events_.on_pipe_progress(*this);
}

void Pipe::on_written(uv_write_t* req, int status) noexcept {
    auto* self = static_cast<Pipe*>(req->data);
    self->release_buffer();
    if (self->abandoned_) return;  // a write finished before uv_close reports 0, not ECANCELED
    if (status != 0) {
        self->fail(PipeEvents::End::Sink, status);
        return;
    }
    self->events_.on_pipe_progress(*self);
    if (self->abandoned_) return;
    if (const int rc = self->start(); rc != 0) self->fail(PipeEvents::End::Source, rc);
}

void Pipe::forward_fin() noexcept {
    fin_seen_ = true;
    uv_read_stop(from_);
    // Reading stops while a write is pending, so at EOF nothing of ours is left to send.
    if (opposite_ != nullptr && opposite_->finished()) {
        finished_ = true;
        events_.on_pipe_finished(*this);
        return;
    }
    if (const int rc = uv_shutdown(&shutdown_req_, to_, &Pipe::on_shutdown); rc != 0)
        fail(PipeEvents::End::Sink, rc);
}

void Pipe::on_shutdown(uv_shutdown_t* req, int status) noexcept {
    auto* self = static_cast<Pipe*>(req->data);
    if (self->abandoned_) return;
    if (status != 0) {
        self->fail(PipeEvents::End::Sink, status);
        return;
    }
    self->finished_ = true;
    self->events_.on_pipe_finished(*self);
}

void Pipe::release_buffer() noexcept {
    if (buffer_ == nullptr) return;
    pool_.release(buffer_);
    buffer_ = nullptr;
}

void Pipe::fail(PipeEvents::End end, int status) noexcept {
    if (abandoned_) return;
    events_.on_pipe_failed(*this, end, status);
}

}  // namespace lb
