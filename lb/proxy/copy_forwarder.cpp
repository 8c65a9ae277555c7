#include "lb/proxy/copy_forwarder.h"

namespace lb {
namespace {

uv_stream_t* as_stream(uv_tcp_t* h) { return reinterpret_cast<uv_stream_t*>(h); }

}  // namespace

CopyForwarder::CopyForwarder(ForwarderEvents& events, BufferPool& buffers, uv_tcp_t* client,
                             uv_tcp_t* site)
    : events_(events),
      upstream_(*this, buffers, as_stream(client), as_stream(site)),
      downstream_(*this, buffers, as_stream(site), as_stream(client)) {
    upstream_.set_opposite(&downstream_);
    downstream_.set_opposite(&upstream_);
}

std::optional<ForwardFailure> CopyForwarder::start() noexcept {
    if (const int rc = upstream_.start(); rc != 0) return ForwardFailure{Side::Client, rc};
    if (const int rc = downstream_.start(); rc != 0) return ForwardFailure{Side::Site, rc};
    return std::nullopt;
}

void CopyForwarder::stop() noexcept {
    upstream_.abandon();
    downstream_.abandon();
}

void CopyForwarder::on_pipe_progress(Pipe&) noexcept { events_.on_forward_progress(); }

void CopyForwarder::on_pipe_finished(Pipe&) noexcept {
    if (upstream_.finished() && downstream_.finished()) events_.on_forward_finished();
}

void CopyForwarder::on_pipe_failed(Pipe& pipe, End end, int status) noexcept {
    // Upstream reads the client and writes the site; downstream the reverse.
    const bool client_side = (&pipe == &upstream_) == (end == End::Source);
    stop();  // one failure is the end: the other direction reports nothing more
    events_.on_forward_failed(ForwardFailure{client_side ? Side::Client : Side::Site, status});
}

}  // namespace lb
