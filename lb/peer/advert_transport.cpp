#include "lb/peer/advert_transport.h"

#include <fmt/format.h>
#include <netinet/in.h>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb::peer {
namespace {

bool is_multicast(const SocketAddress& address) {
    if (address.is_v6()) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr());
        return in6->sin6_addr.s6_addr[0] == 0xff;
    }
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr());
    return (ntohl(in4->sin_addr.s_addr) >> 28) == 0xe;
}

}  // namespace

Result<Ok> AdvertTransport::start(const SocketAddress& bind, std::vector<SocketAddress> peers) {
    auto* udp = new uv_udp_t;
    if (const int rc = uv_udp_init(loop_, udp); rc != 0) {
        delete udp;  // a failed init registered nothing
        return Error{fmt::format("peer socket: {}", uv_error_text(rc))};
    }
    udp->data = this;
    socket_ = UvHandle<uv_udp_t>(udp);
    if (const int rc = uv_udp_bind(udp, bind.sockaddr_ptr(), UV_UDP_REUSEADDR); rc != 0) {
        socket_.reset();
        return Error{fmt::format("peer.bind {}: {}", bind.to_string(), uv_error_text(rc))};
    }
    for (const SocketAddress& peer : peers) {
        if (!is_multicast(peer)) continue;
        const std::string group = peer.ip_string();
        const std::string local = bind.ip_string();
        const bool any = local == "0.0.0.0" || local == "::";
        if (const int rc = uv_udp_set_membership(udp, group.c_str(), any ? nullptr : local.c_str(),
                                                 UV_JOIN_GROUP);
            rc != 0) {
            socket_.reset();
            return Error{fmt::format("peer multicast group {}: {}", group, uv_error_text(rc))};
        }
        (void)uv_udp_set_multicast_ttl(udp, 255);
        (void)uv_udp_set_multicast_loop(udp, 0);
    }
    // Sent with TTL 255, as VRRP does (the HMAC, not the TTL, is what authenticates).
    (void)uv_udp_set_ttl(udp, 255);
    if (const int rc = uv_udp_recv_start(udp, &on_alloc, &on_receive); rc != 0) {
        socket_.reset();
        return Error{fmt::format("peer socket: {}", uv_error_text(rc))};
    }
    peers_ = std::move(peers);
    return Ok{};
}

std::size_t AdvertTransport::send(std::span<const std::uint8_t> bytes) {
    uv_udp_t* udp = socket_.get();
    if (udp == nullptr) return 0;
    std::size_t sent = 0;
    for (const SocketAddress& peer : peers_) {
        uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<std::uint8_t*>(bytes.data())),
                                   static_cast<unsigned>(bytes.size()));
        // Adverts are small and one per interval: a non-blocking send either goes or is lost,
        // like any datagram, and the next advert follows.
        const int rc = uv_udp_try_send(udp, &buf, 1, peer.sockaddr_ptr());
        if (rc >= 0) {
            ++sent;
        } else {
            log::debug("peer: advert to {} not sent: {}", peer.to_string(), uv_error_text(rc));
        }
    }
    return sent;
}

void AdvertTransport::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<AdvertTransport*>(handle->data);
    *buf = uv_buf_init(reinterpret_cast<char*>(self->buffer_.data()),
                       static_cast<unsigned>(self->buffer_.size()));
}

void AdvertTransport::on_receive(uv_udp_t* udp, ssize_t nread, const uv_buf_t*,
                                 const sockaddr* from, unsigned flags) noexcept {
    auto* self = static_cast<AdvertTransport*>(udp->data);
    if (self == nullptr || nread <= 0 || from == nullptr) return;  // 0 with null: nothing read
    const auto source = SocketAddress::from_sockaddr(from);
    if (!source) return;
    self->on_datagram_(
        std::span<const std::uint8_t>(self->buffer_.data(), static_cast<std::size_t>(nread)),
        (flags & UV_UDP_PARTIAL) != 0, *source);
}

}  // namespace lb::peer
