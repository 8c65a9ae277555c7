// Tells the segment that the virtual IP now lives at this host's MAC: a gratuitous ARP request
// (IPv4) or an unsolicited neighbour advertisement with the override flag (IPv6), so switches
// and neighbours drop the old master's MAC at once instead of when their cache expires. Needs
// CAP_NET_RAW.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "lb/base/result.h"
#include "lb/peer/virtual_address.h"

namespace lb::peer {

class NeighbourAnnouncer {
public:
    [[nodiscard]] static Result<std::unique_ptr<NeighbourAnnouncer>> open(
        const std::string& interface, int family);
    ~NeighbourAnnouncer();
    NeighbourAnnouncer(const NeighbourAnnouncer&) = delete;
    NeighbourAnnouncer& operator=(const NeighbourAnnouncer&) = delete;

    // Sends one announcement for `address` (which must be on the interface for IPv6).
    [[nodiscard]] Result<Ok> announce(const VirtualAddress& address);

private:
    NeighbourAnnouncer(int fd, unsigned index, std::array<std::uint8_t, 6> mac, std::string name)
        : fd_(fd), index_(index), mac_(mac), name_(std::move(name)) {}
    [[nodiscard]] Result<Ok> announce_ipv4(const VirtualAddress& address);
    [[nodiscard]] Result<Ok> announce_ipv6(const VirtualAddress& address);

    int fd_ = -1;
    unsigned index_ = 0;
    std::array<std::uint8_t, 6> mac_{};
    std::string name_;
};

}  // namespace lb::peer
