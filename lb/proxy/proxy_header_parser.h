// Reading a PROXY protocol header (HAProxy's spec, v1 and v2) that a client arriving through
// another L4 balancer sends first (`accept_proxy = true`). Strict and pure: bytes in, a verdict
// out. The session feeds it what it has received so far and consumes from the socket only the
// bytes the verdict says belong to the header, so the client's own bytes stay in the socket for
// the forwarder.
//
// Accepted: v1 "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n" (single spaces, addresses of
// the named family, decimal ports 0..65535 without sign or leading zero) and "PROXY UNKNOWN...
// \r\n"; v2 with version 2, command LOCAL or PROXY, TCP over IPv4 or IPv6 (TLVs after the
// addresses are skipped), or any other family, whose addresses are ignored as the spec says.
// Everything else is Invalid, as is a header longer than kMaxProxyHeaderBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "config/socket_address.h"

namespace lb {

// v1 is at most 107 bytes; v2's addresses take 36, TLVs (unique ids, TLS details, ...) more.
inline constexpr std::size_t kMaxProxyHeaderBytes = 1024;

struct ProxyHeader {
    std::size_t size = 0;  // bytes the header takes at the start of the stream
    // The client and the address it reached, as the balancer in front saw them. nullopt for
    // LOCAL / UNKNOWN (a health check of the balancer in front): the connection's own apply.
    std::optional<SocketAddress> source;
    std::optional<SocketAddress> destination;
};

struct ProxyHeaderParse {
    enum class Status { NeedMore, Complete, Invalid };
    Status status = Status::NeedMore;
    ProxyHeader header;   // Complete
    std::size_t need = 0;  // NeedMore: bytes known to belong to the header so far, at least
    std::string error;    // Invalid: "v1: bad source address '300.1.1.1'"
};

// `received`: the stream's first bytes. NeedMore means every byte received so far belongs to the
// header (it may be consumed) and more are needed.
[[nodiscard]] ProxyHeaderParse parse_proxy_header(std::span<const std::uint8_t> received);

}  // namespace lb
