// Forwarding bytes both ways between a session's two connected sockets: two Channels (client →
// site, site → client) on the raw fds, moved by the session whenever its ReadinessSet reports
// an edge. One strategy is chosen once from `global.splice`: kernel pipes with splice(2) (zero
// copy), or pooled buffers with recv/send. Either holds memory only while bytes are in flight,
// and reports through ForwarderEvents, which is all the session knows of how bytes move.
#pragma once

#include <cstdint>
#include <optional>

#include "lb/proxy/buffer_pool.h"
#include "lb/proxy/channel.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/readiness_set.h"

namespace lb {

// Which of the session's sockets an event is about.
enum class Side { Client, Site };

struct ForwardFailure {
    Side side;   // whose socket failed: reading from it or writing to it
    int status;  // libuv status (negative errno)
};

// What a forwarder tells its session, from inside pump(). Nothing is reported after a finish or
// a failure.
class ForwarderEvents {
public:
    virtual void on_forward_progress() noexcept = 0;  // bytes moved (either way)
    // Both directions ended with a FIN. The first FIN was passed on with shutdown(SHUT_WR); the
    // second one is left to the owner, which closes both sockets now (close() sends it).
    virtual void on_forward_finished() noexcept = 0;
    // A socket failed (reset, EPIPE, ...).
    virtual void on_forward_failed(ForwardFailure failure) noexcept = 0;

protected:
    ~ForwarderEvents() = default;
};

enum class ForwardingStrategy { Copy, Splice };

// The per-worker pools a forwarder leases its carriers from.
struct ForwardingPools {
    BufferPool& buffers;    // copy, and splice when out of fds for a pipe
    KernelPipePool& pipes;  // splice
};

class Forwarder {
public:
    // Both fds stay the session's: it closes them after stop().
    Forwarder(ForwarderEvents& events, ForwardingStrategy strategy, ForwardingPools pools,
              int client_fd, int site_fd);
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // Moves what the sockets' readiness allows and reports what happened. True when a bounded
    // round stopped with work left: call again soon (ReadinessSet::defer), since the edge that
    // announced it will not come twice.
    [[nodiscard]] bool pump(Readiness& client, Readiness& site) noexcept;
    // The session is closing: nothing more is moved or reported, and the carriers go back now.
    // Idempotent.
    void stop() noexcept;
    [[nodiscard]] bool stopped() const { return done_; }

    // Bytes delivered so far (written to the sink), for counters and logs.
    [[nodiscard]] std::uint64_t bytes_to_site() const noexcept { return upstream_.bytes(); }
    [[nodiscard]] std::uint64_t bytes_to_client() const noexcept { return downstream_.bytes(); }

private:
    // Reports the end or a failure; false if it did.
    bool settle() noexcept;
    void report_failure(ForwardFailure failure) noexcept;

    ForwarderEvents& events_;
    Channel upstream_;    // client → site
    Channel downstream_;  // site → client
    bool done_ = false;   // finished, failed or stopped: nothing more is reported
};

}  // namespace lb
