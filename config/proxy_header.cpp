#include "config/proxy_header.h"

#include <netinet/in.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

namespace lb {
namespace {

constexpr std::array<unsigned char, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr unsigned char kV2Local = 0x20;           // version 2, command LOCAL
constexpr unsigned char kV2Proxy = 0x21;           // version 2, command PROXY
constexpr unsigned char kV2Unspec = 0x00;          // AF_UNSPEC, UNSPEC
constexpr unsigned char kV2TcpOverIpv4 = 0x11;     // AF_INET, STREAM
constexpr unsigned char kV2TcpOverIpv6 = 0x21;     // AF_INET6, STREAM

std::string v2_prefix(unsigned char command, unsigned char family, std::uint16_t length) {
    std::string out(kV2Signature.begin(), kV2Signature.end());
    out += static_cast<char>(command);
    out += static_cast<char>(family);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length & 0xff);
    return out;
}

void append(std::string& out, const void* bytes, std::size_t size) {
    out.append(static_cast<const char*>(bytes), size);
}

// The address in network order, as in the sockaddr.
void append_address(std::string& out, const SocketAddress& address) {
    if (address.is_v6()) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr());
        append(out, &in6->sin6_addr, sizeof in6->sin6_addr);
    } else {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr());
        append(out, &in4->sin_addr, sizeof in4->sin_addr);
    }
}

void append_port(std::string& out, const SocketAddress& address) {
    const std::uint16_t port = address.port();
    out += static_cast<char>(port >> 8);
    out += static_cast<char>(port & 0xff);
}

bool same_ip_family(const SocketAddress& a, const SocketAddress& b) {
    return a.family() == b.family() && (a.family() == AF_INET || a.family() == AF_INET6);
}

}  // namespace

std::string proxy_header(config::ProxyProtocol version, const SocketAddress& client,
                         const SocketAddress& local) {
    if (version == config::ProxyProtocol::None) return {};
    if (!same_ip_family(client, local)) return proxy_header_local(version);
    if (version == config::ProxyProtocol::V1)
        return fmt::format("PROXY {} {} {} {} {}\r\n", client.is_v6() ? "TCP6" : "TCP4",
                           client.ip_string(), local.ip_string(), client.port(), local.port());
    const bool v6 = client.is_v6();
    std::string out = v2_prefix(kV2Proxy, v6 ? kV2TcpOverIpv6 : kV2TcpOverIpv4, v6 ? 36 : 12);
    append_address(out, client);
    append_address(out, local);
    append_port(out, client);
    append_port(out, local);
    return out;
}

std::string proxy_header_local(config::ProxyProtocol version) {
    switch (version) {
        case config::ProxyProtocol::None:
            return {};
        case config::ProxyProtocol::V1:
            return "PROXY UNKNOWN\r\n";
        case config::ProxyProtocol::V2:
            return v2_prefix(kV2Local, kV2Unspec, 0);
    }
    return {};
}

}  // namespace lb
