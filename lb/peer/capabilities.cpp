#include "lb/peer/capabilities.h"

#include <linux/capability.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace lb::peer {

NetworkCapabilities effective_network_capabilities() {
    std::ifstream status("/proc/self/status");
    std::uint64_t effective = 0;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("CapEff:", 0) != 0) continue;
        effective = std::stoull(line.substr(7), nullptr, 16);
        break;
    }
    return NetworkCapabilities{(effective >> CAP_NET_ADMIN & 1U) != 0,
                               (effective >> CAP_NET_RAW & 1U) != 0};
}

std::string missing_capabilities_text(const NetworkCapabilities& caps) {
    if (caps.net_admin && caps.net_raw) return "";
    std::string missing;
    if (!caps.net_admin) missing = "CAP_NET_ADMIN (to add and remove the virtual IP)";
    if (!caps.net_raw)
        missing += std::string(missing.empty() ? "" : " and ") +
                   "CAP_NET_RAW (to announce it with gratuitous ARP / neighbour advertisements)";
    return "[peer] needs " + missing +
           "; run lb as root or grant them (systemd: AmbientCapabilities=CAP_NET_ADMIN "
           "CAP_NET_RAW)";
}

}  // namespace lb::peer
