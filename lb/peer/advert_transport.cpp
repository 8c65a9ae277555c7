#include "lb/peer/advert_transport.h"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

bool is_any(const SocketAddress& address) {
    const std::string ip = address.ip_string();
    return ip == "0.0.0.0" || ip == "::";
}

// The index of the interface that has `address`, 0 if none has.
unsigned interface_index_of(const SocketAddress& address) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return 0;
    unsigned index = 0;
    for (const ifaddrs* it = list; it != nullptr && index == 0; it = it->ifa_next) {
        if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != address.family()) continue;
        const auto found = SocketAddress::from_sockaddr(it->ifa_addr);
        if (found && found->ip_string() == address.ip_string())
            index = ::if_nametoindex(it->ifa_name);
    }
    ::freeifaddrs(list);
    return index;
}

// Joins `group` on the interface of `local` (any: the kernel's choice) and sends to groups from
// there. IPv6 joins by interface index, which libuv only takes as a scope suffix.
int join_group(uv_udp_t* udp, const SocketAddress& group, const SocketAddress& local) {
    const std::string group_ip = group.ip_string();
    const std::string local_ip = local.ip_string();
    if (!group.is_v6()) {
        const bool any = is_any(local);
        if (const int rc = uv_udp_set_membership(udp, group_ip.c_str(),
                                                 any ? nullptr : local_ip.c_str(), UV_JOIN_GROUP);
            rc != 0)
            return rc;
        return any ? 0 : uv_udp_set_multicast_interface(udp, local_ip.c_str());
    }
    uv_os_fd_t fd = -1;
    if (const int rc = uv_fileno(reinterpret_cast<uv_handle_t*>(udp), &fd); rc != 0) return rc;
    ipv6_mreq request{};
    std::memcpy(&request.ipv6mr_multiaddr,
                &reinterpret_cast<const sockaddr_in6*>(group.sockaddr_ptr())->sin6_addr,
                sizeof request.ipv6mr_multiaddr);
    if (!is_any(local)) {
        request.ipv6mr_interface = interface_index_of(local);
        if (request.ipv6mr_interface == 0) return UV_EADDRNOTAVAIL;
        const int index = static_cast<int>(request.ipv6mr_interface);
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0)
            return -errno;
    }
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &request, sizeof request) != 0)
        return -errno;
    return 0;
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
    // The kernel delivers a datagram sent to a group only to sockets bound to the group or to
    // the wildcard address, never to one bound to a unicast address: with a multicast peer, the
    // socket binds the wildcard address on `bind`'s port, and `bind`'s address says on which
    // interface the group is joined and adverts to it leave (and, for IPv4, their source).
    const bool multicast = std::any_of(peers.begin(), peers.end(), is_multicast);
    const SocketAddress local =
        multicast && !is_any(bind)
            ? SocketAddress::parse_ip(bind.is_v6() ? "::" : "0.0.0.0")->with_port(bind.port())
            : bind;
    if (multicast && !is_any(bind) && interface_index_of(bind) == 0) {
        socket_.reset();
        return Error{
            fmt::format("peer.bind {}: {}", bind.to_string(), uv_error_text(UV_EADDRNOTAVAIL))};
    }
    if (const int rc = uv_udp_bind(udp, local.sockaddr_ptr(), UV_UDP_REUSEADDR); rc != 0) {
        socket_.reset();
        return Error{fmt::format("peer.bind {}: {}", bind.to_string(), uv_error_text(rc))};
    }
    for (const SocketAddress& peer : peers) {
        if (!is_multicast(peer)) continue;
        const std::string group = peer.ip_string();
        if (const int rc = join_group(udp, peer, bind); rc != 0) {
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
    std::size_t sent = 0;
    for (const SocketAddress& peer : peers_)
        if (send_to(bytes, peer)) ++sent;
    return sent;
}

bool AdvertTransport::send_to(std::span<const std::uint8_t> bytes, const SocketAddress& to) {
    uv_udp_t* udp = socket_.get();
    if (udp == nullptr) return false;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<std::uint8_t*>(bytes.data())),
                               static_cast<unsigned>(bytes.size()));
    // Small, one per interval: a non-blocking send either goes or is lost, like any datagram,
    // and the next one follows.
    const int rc = uv_udp_try_send(udp, &buf, 1, to.sockaddr_ptr());
    if (rc < 0) log::debug("peer: datagram to {} not sent: {}", to.to_string(), uv_error_text(rc));
    return rc >= 0;
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
