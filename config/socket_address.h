// An IPv4 or IPv6 address with a port, as the kernel wants it (a sockaddr_in or sockaddr_in6:
// 28 bytes, not sockaddr_storage's 128, since every session keeps its client's).
// Literal addresses only: a load balancer in front of two sites must not depend on DNS.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lb {

class SocketAddress {
public:
    SocketAddress() = default;

    // "10.0.0.1:443", "[fd00::1]:443", "0.0.0.0:80".
    [[nodiscard]] static std::optional<SocketAddress> parse_endpoint(std::string_view text);
    // "10.0.0.1", "fd00::1" or "[fd00::1]" (port 0).
    [[nodiscard]] static std::optional<SocketAddress> parse_ip(std::string_view text);
    // From a kernel-filled sockaddr (accept, getpeername); nullopt for non-IP families.
    [[nodiscard]] static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa);

    [[nodiscard]] SocketAddress with_port(std::uint16_t port) const;
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] int family() const { return storage_.any.sa_family; }
    [[nodiscard]] bool is_v6() const { return family() == AF_INET6; }
    // 127.0.0.0/8, ::1, or ::ffff:127.x.y.z: reachable from this host only.
    [[nodiscard]] bool is_loopback() const;
    [[nodiscard]] const sockaddr* sockaddr_ptr() const { return &storage_.any; }
    [[nodiscard]] socklen_t length() const;

    [[nodiscard]] std::string ip_string() const;  // "10.0.0.1", "fd00::1"
    [[nodiscard]] std::string to_string() const;  // "10.0.0.1:443", "[fd00::1]:443"

    friend bool operator==(const SocketAddress& a, const SocketAddress& b);

private:
    union Storage {
        sockaddr any;
        sockaddr_in v4;
        sockaddr_in6 v6;
    };
    Storage storage_{};
};

}  // namespace lb
