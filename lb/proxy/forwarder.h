// Forwarding bytes both ways between a session's two connected sockets: one interface, two
// strategies (CopyForwarder: read/write through pooled buffers; SpliceForwarder: splice(2)
// through kernel pipes). Either holds memory only while bytes are in flight, and reports through
// ForwarderEvents, which is all the session knows of how bytes move.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace lb {

class BufferPool;
class KernelPipePool;

// Which of the session's sockets an event is about.
enum class Side { Client, Site };

struct ForwardFailure {
    Side side;   // whose socket failed: reading from it or writing to it
    int status;  // libuv status (negative errno)
};

// What a forwarder tells its session. Loop thread; never from inside start() or stop().
class ForwarderEvents {
public:
    virtual void on_forward_progress() noexcept = 0;  // bytes moved (either way)
    // Both directions ended with a FIN. The first FIN was passed on with shutdown(SHUT_WR); the
    // second one is left to the owner, which closes both sockets now (close() sends it).
    virtual void on_forward_finished() noexcept = 0;
    // A socket failed (reset, EPIPE, ...). Nothing more is reported afterwards.
    virtual void on_forward_failed(ForwardFailure failure) noexcept = 0;

protected:
    ~ForwarderEvents() = default;
};

// Both directions of one connected session. The sockets stay owned by the session's uv_tcp_t
// handles; the forwarder reads and writes them (or their fds) from start() until stop().
class Forwarder {
public:
    virtual ~Forwarder() = default;

    // Begins forwarding both ways. nullopt on success, else which socket refused (no event is
    // reported for it; the session closes).
    [[nodiscard]] virtual std::optional<ForwardFailure> start() noexcept = 0;
    // The session is closing: nothing more is read or reported, and the sockets may be closed
    // right after. Idempotent. Requests already in flight complete (libuv cancels them) before
    // the sockets' close callbacks, so destroy the forwarder only after those have run.
    virtual void stop() noexcept = 0;

    // Bytes delivered so far (written to the sink), for counters and logs.
    [[nodiscard]] virtual std::uint64_t bytes_to_site() const noexcept = 0;
    [[nodiscard]] virtual std::uint64_t bytes_to_client() const noexcept = 0;
};

enum class ForwardingStrategy { Copy, Splice };

// The per-worker pools a forwarder leases its memory from.
struct ForwardingPools {
    BufferPool& buffers;    // copy
    KernelPipePool& pipes;  // splice
};

// Makes the forwarder for `strategy` between two connected sockets on the same loop. Nothing
// starts until start().
[[nodiscard]] std::unique_ptr<Forwarder> make_forwarder(ForwardingStrategy strategy,
                                                        ForwarderEvents& events,
                                                        ForwardingPools pools, uv_tcp_t* client,
                                                        uv_tcp_t* site);

}  // namespace lb
