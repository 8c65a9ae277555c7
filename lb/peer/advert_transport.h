// The UDP side of the peer link, on the main loop: one socket bound to [peer] bind, datagrams
// sent to every address in `peers` (unicast, or a multicast group), and every datagram received
// handed up as bytes with its source. It knows nothing of the advert format: decoding,
// authentication and replay checks happen above it.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "config/socket_address.h"
#include "lb/base/result.h"
#include "lb/base/uv_handle.h"

namespace lb::peer {

class AdvertTransport {
public:
    // Largest datagram read; longer ones arrive truncated and are reported as such.
    static constexpr std::size_t kMaxDatagram = 1024;
    using OnDatagram = std::function<void(std::span<const std::uint8_t> bytes, bool truncated,
                                          const SocketAddress& from)>;

    AdvertTransport(uv_loop_t* loop, OnDatagram on_datagram)
        : loop_(loop), on_datagram_(std::move(on_datagram)) {}
    AdvertTransport(const AdvertTransport&) = delete;
    AdvertTransport& operator=(const AdvertTransport&) = delete;

    // Binds and starts receiving. A multicast destination among `peers` is joined on the
    // interface that has `bind`'s address, and adverts to it leave from there (TTL 255, loopback
    // off); the socket is then bound to the wildcard address on `bind`'s port, since one bound
    // to a unicast address never receives what is sent to a group. The error names the address.
    [[nodiscard]] Result<Ok> start(const SocketAddress& bind, std::vector<SocketAddress> peers);
    void stop() noexcept { socket_.reset(); }

    // Sends `bytes` to every peer; a failure is counted, not fatal (the next advert retries).
    // Returns how many sends were accepted by the kernel.
    std::size_t send(std::span<const std::uint8_t> bytes);
    // Sends `bytes` to `to` alone (a lease request to the arbiter, a reply to an instance).
    bool send_to(std::span<const std::uint8_t> bytes, const SocketAddress& to);

private:
    static void on_alloc(uv_handle_t* handle, std::size_t size, uv_buf_t* buf) noexcept;
    static void on_receive(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
                           unsigned flags) noexcept;

    uv_loop_t* loop_;
    OnDatagram on_datagram_;
    UvHandle<uv_udp_t> socket_;
    std::vector<SocketAddress> peers_;
    std::array<std::uint8_t, kMaxDatagram> buffer_{};
};

}  // namespace lb::peer
