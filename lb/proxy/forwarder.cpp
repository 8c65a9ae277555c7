#include "lb/proxy/forwarder.h"

namespace lb {

Forwarder::Forwarder(ForwarderEvents& events, ForwardingStrategy strategy, ForwardingPools pools,
                     int client_fd, int site_fd)
    : events_(events),
      upstream_(strategy == ForwardingStrategy::Splice ? &pools.pipes : nullptr, pools.buffers,
                client_fd, site_fd),
      downstream_(strategy == ForwardingStrategy::Splice ? &pools.pipes : nullptr, pools.buffers,
                  site_fd, client_fd) {}

void Forwarder::stop() noexcept {
    done_ = true;
    upstream_.drop_carrier();
    downstream_.drop_carrier();
}

bool Forwarder::pump(Readiness& client, Readiness& site) noexcept {
    if (done_) return false;
    const std::uint64_t before = upstream_.bytes() + downstream_.bytes();
    // Toward the client first: a reply frees room the request side may be waiting for.
    downstream_.pump(site, client, upstream_.finished());
    upstream_.pump(client, site, downstream_.finished());
    if (upstream_.bytes() + downstream_.bytes() != before) {
        events_.on_forward_progress();
        if (done_) return false;  // stopped from inside on_forward_progress()
    }
    if (!settle()) return false;
    return upstream_.can_go_on(client, site) || downstream_.can_go_on(site, client);
}

bool Forwarder::settle() noexcept {
    // Upstream reads the client and writes the site; downstream the reverse.
    if (const auto& f = upstream_.failure()) {
        report_failure(
            ForwardFailure{f->end == Channel::End::Source ? Side::Client : Side::Site, f->status});
        return false;
    }
    if (const auto& f = downstream_.failure()) {
        report_failure(
            ForwardFailure{f->end == Channel::End::Sink ? Side::Client : Side::Site, f->status});
        return false;
    }
    if (upstream_.finished() && downstream_.finished()) {
        done_ = true;
        events_.on_forward_finished();
        return false;
    }
    return true;
}

void Forwarder::report_failure(ForwardFailure failure) noexcept {
    done_ = true;
    events_.on_forward_failed(failure);
}

}  // namespace lb
