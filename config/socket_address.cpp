#include "config/socket_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace lb {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse_ip(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    const std::string host(text);
    SocketAddress out;
    auto* v4 = &out.storage_.v4;
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return out;
    }
    out.storage_ = {};
    auto* v6 = &out.storage_.v6;
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        return out;
    }
    return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::parse_endpoint(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos) return std::nullopt;  // [v4] is not valid
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6 needs brackets
    }
    auto address = parse_ip(host);
    const auto port_number = parse_port(port);
    if (!address || !port_number) return std::nullopt;
    return address->with_port(*port_number);
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa) {
    if (sa == nullptr) return std::nullopt;
    SocketAddress out;
    if (sa->sa_family == AF_INET)
        std::memcpy(&out.storage_, sa, sizeof(sockaddr_in));
    else if (sa->sa_family == AF_INET6)
        std::memcpy(&out.storage_, sa, sizeof(sockaddr_in6));
    else
        return std::nullopt;
    return out;
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const {
    SocketAddress out = *this;
    if (is_v6())
        out.storage_.v6.sin6_port = htons(port);
    else
        out.storage_.v4.sin_port = htons(port);
    return out;
}

std::uint16_t SocketAddress::port() const {
    if (is_v6()) return ntohs(storage_.v6.sin6_port);
    return ntohs(storage_.v4.sin_port);
}

socklen_t SocketAddress::length() const {
    return is_v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string SocketAddress::ip_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (is_v6())
        inet_ntop(AF_INET6, &storage_.v6.sin6_addr, text, sizeof text);
    else
        inet_ntop(AF_INET, &storage_.v4.sin_addr, text, sizeof text);
    return text;
}

bool SocketAddress::is_loopback() const {
    if (!is_v6()) return (ntohl(storage_.v4.sin_addr.s_addr) >> 24) == 127;
    const in6_addr& a = storage_.v6.sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

std::string SocketAddress::to_string() const {
    // fmt rather than operator+: GCC 12 -O3 raises a false -Wrestrict on "[" + std::string.
    if (is_v6()) return fmt::format("[{}]:{}", ip_string(), port());
    return fmt::format("{}:{}", ip_string(), port());
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.family() == b.family() && a.port() == b.port() && a.ip_string() == b.ip_string();
}

}  // namespace lb
