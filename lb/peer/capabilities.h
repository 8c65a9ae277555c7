// Whether this process may change addresses (CAP_NET_ADMIN) and send raw frames (CAP_NET_RAW),
// read from /proc/self/status so `lb run` can say so at start instead of failing at takeover.
#pragma once

#include <string>

namespace lb::peer {

struct NetworkCapabilities {
    bool net_admin = false;
    bool net_raw = false;
};

[[nodiscard]] NetworkCapabilities effective_network_capabilities();

// "" when both are there; else one line naming what is missing.
[[nodiscard]] std::string missing_capabilities_text(const NetworkCapabilities& caps);

}  // namespace lb::peer
