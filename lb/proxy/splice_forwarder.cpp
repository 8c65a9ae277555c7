#include "lb/proxy/splice_forwarder.h"

namespace lb {

SpliceForwarder::SpliceForwarder(ForwarderEvents& events, KernelPipePool& pipes, int client_fd,
                                 int site_fd)
    : events_(events),
      client_fd_(client_fd),
      site_fd_(site_fd),
      upstream_(pipes, client_fd, site_fd),
      downstream_(pipes, site_fd, client_fd) {}

int SpliceForwarder::start(uv_loop_t* loop) {
    for (auto [watch, fd] : {std::pair{&client_, client_fd_}, std::pair{&site_, site_fd_}}) {
        auto* poll = new uv_poll_t;
        if (const int rc = uv_poll_init_socket(loop, poll, fd); rc != 0) {
            delete poll;  // a failed init registered nothing
            return rc;
        }
        poll->data = this;
        watch->poll = UvHandle<uv_poll_t>(poll);
    }
    settle();
    return 0;
}

void SpliceForwarder::on_client_ready(uv_poll_t* poll, int status, int events) noexcept {
    if (auto* self = static_cast<SpliceForwarder*>(poll->data))
        self->on_ready(true, status, events);
}

void SpliceForwarder::on_site_ready(uv_poll_t* poll, int status, int events) noexcept {
    if (auto* self = static_cast<SpliceForwarder*>(poll->data))
        self->on_ready(false, status, events);
}

void SpliceForwarder::on_ready(bool client_side, int status, int events) noexcept {
    if (done_) return;
    if (status < 0) {
        done_ = true;
        events_.on_forward_failed(client_side, status);  // may destroy *this
        return;
    }
    // A socket is the source of one direction and the sink of the other.
    SpliceChannel& reading = client_side ? upstream_ : downstream_;
    SpliceChannel& writing = client_side ? downstream_ : upstream_;
    const std::uint64_t before = upstream_.bytes() + downstream_.bytes();
    if (events & UV_WRITABLE) writing.pump(reading.finished());
    if (events & UV_READABLE) reading.pump(writing.finished());
    if (upstream_.bytes() + downstream_.bytes() != before) events_.on_forward_progress();
    settle();
}

bool SpliceForwarder::settle() noexcept {
    // Upstream reads the client and writes the site; downstream the reverse.
    if (const auto& f = upstream_.failure()) {
        done_ = true;
        events_.on_forward_failed(f->end == SpliceChannel::End::Source, f->status);
        return false;
    }
    if (const auto& f = downstream_.failure()) {
        done_ = true;
        events_.on_forward_failed(f->end == SpliceChannel::End::Sink, f->status);
        return false;
    }
    if (upstream_.finished() && downstream_.finished()) {
        done_ = true;
        events_.on_forward_finished();
        return false;
    }
    watch(
        client_,
        (upstream_.wants_read() ? UV_READABLE : 0) | (downstream_.wants_write() ? UV_WRITABLE : 0),
        &SpliceForwarder::on_client_ready);
    watch(
        site_,
        (downstream_.wants_read() ? UV_READABLE : 0) | (upstream_.wants_write() ? UV_WRITABLE : 0),
        &SpliceForwarder::on_site_ready);
    return true;
}

void SpliceForwarder::watch(Watch& w, int events, uv_poll_cb callback) noexcept {
    if (events == w.events) return;
    w.events = events;
    if (events == 0)
        uv_poll_stop(w.poll.get());
    else
        uv_poll_start(w.poll.get(), events, callback);
}

}  // namespace lb
