// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a listener with
// `proxy_protocol = "v1" | "v2"` sends to the site before any client byte, so the gateway sees
// the client's address and port instead of lb's; and the LOCAL header a health check with
// `[health] proxy_protocol` sends first. Pure: addresses in, bytes out. Here rather than in
// lb/proxy because health/ (below lb/) needs it too, as it needs SocketAddress.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "config/socket_address.h"

namespace lb {

// The header for a connection from `client` to `local` (the listener's address as the client
// reached it). v1: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" (TCP6 for IPv6; "PROXY
// UNKNOWN\r\n" when the two are not of one family). v2: the 12-byte signature, PROXY command,
// TCP over IPv4 (12 address bytes) or IPv6 (36), big-endian. At most 108 bytes (v1) or 52 (v2).
[[nodiscard]] std::string proxy_header(config::ProxyProtocol version, const SocketAddress& client,
                                       const SocketAddress& local);

// v2's LOCAL command with no address (the receiver uses the connection's own addresses): what
// a health check sends, as HAProxy's `check-send-proxy` does. v1 has no LOCAL: "PROXY UNKNOWN".
[[nodiscard]] std::string proxy_header_local(config::ProxyProtocol version);

}  // namespace lb
