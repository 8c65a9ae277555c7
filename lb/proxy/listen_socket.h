// A listening TCP socket for one worker. Every worker binds its own socket to the same address
// with SO_REUSEPORT so the kernel spreads new connections across workers without a shared
// accept lock. IP_FREEBIND lets a peer bind a virtual IP it does not hold yet.
#pragma once

#include "config/socket_address.h"
#include "lb/base/result.h"

namespace lb {

inline constexpr int kListenBacklog = 4096;

// A bound, listening, non-blocking socket fd (the caller owns it), or why not.
[[nodiscard]] Result<int> open_listen_socket(const SocketAddress& address);

}  // namespace lb
