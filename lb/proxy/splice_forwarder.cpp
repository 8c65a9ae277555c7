#include "lb/proxy/splice_forwarder.h"

#include <utility>

namespace lb {
namespace {

int fd_of(uv_tcp_t* tcp) {
    uv_os_fd_t fd = -1;
    return uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) == 0 ? fd : -1;
}

}  // namespace

SpliceForwarder::SpliceForwarder(ForwarderEvents& events, KernelPipePool& pipes,
                                 BufferPool& buffers, uv_tcp_t* client, uv_tcp_t* site)
    : events_(events),
      loop_(client->loop),
      client_fd_(fd_of(client)),
      site_fd_(fd_of(site)),
      upstream_(pipes, buffers, client_fd_, site_fd_),
      downstream_(pipes, buffers, site_fd_, client_fd_) {}

std::optional<ForwardFailure> SpliceForwarder::start() noexcept {
    if (client_fd_ < 0 || site_fd_ < 0) return ForwardFailure{Side::Client, UV_EBADF};
    for (auto [watch, fd] : {std::pair{&client_, client_fd_}, std::pair{&site_, site_fd_}}) {
        auto* poll = new uv_poll_t;
        if (const int rc = uv_poll_init_socket(loop_, poll, fd); rc != 0) {
            delete poll;  // a failed init registered nothing
            return ForwardFailure{Side::Client, rc};
        }
        poll->data = this;
        watch->poll = UvHandle<uv_poll_t>(poll);
    }
    settle();  // nothing has failed or finished yet: this only starts the watches
    return std::nullopt;
}

void SpliceForwarder::stop() noexcept {
    done_ = true;
    client_.poll.reset();
    site_.poll.reset();
    // The kernel pipes go back now, not when the session is finally erased.
    upstream_.drop_pipe();
    downstream_.drop_pipe();
}

void SpliceForwarder::on_client_ready(uv_poll_t* poll, int status, int events) noexcept {
    if (auto* self = static_cast<SpliceForwarder*>(poll->data))
        self->on_ready(Side::Client, status, events);
}

void SpliceForwarder::on_site_ready(uv_poll_t* poll, int status, int events) noexcept {
    if (auto* self = static_cast<SpliceForwarder*>(poll->data))
        self->on_ready(Side::Site, status, events);
}

void SpliceForwarder::on_ready(Side side, int status, int events) noexcept {
    if (done_) return;
    if (status < 0) {
        report_failure(ForwardFailure{side, status});
        return;
    }
    // A socket is the source of one direction and the sink of the other.
    SpliceChannel& reading = side == Side::Client ? upstream_ : downstream_;
    SpliceChannel& writing = side == Side::Client ? downstream_ : upstream_;
    const std::uint64_t before = upstream_.bytes() + downstream_.bytes();
    if (events & UV_WRITABLE) writing.pump(reading.finished());
    if (events & UV_READABLE) reading.pump(writing.finished());
    if (upstream_.bytes() + downstream_.bytes() != before) events_.on_forward_progress();
    settle();
}

bool SpliceForwarder::settle() noexcept {
    if (done_) return false;  // stopped from inside on_forward_progress()
    // Upstream reads the client and writes the site; downstream the reverse.
    if (const auto& f = upstream_.failure()) {
        report_failure(ForwardFailure{
            f->end == SpliceChannel::End::Source ? Side::Client : Side::Site, f->status});
        return false;
    }
    if (const auto& f = downstream_.failure()) {
        report_failure(ForwardFailure{
            f->end == SpliceChannel::End::Sink ? Side::Client : Side::Site, f->status});
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

void SpliceForwarder::report_failure(ForwardFailure failure) noexcept {
    done_ = true;
    events_.on_forward_failed(failure);
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
