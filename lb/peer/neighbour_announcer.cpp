// The frames use the system's protocol structs (<netinet/if_ether.h>, <netinet/icmp6.h>): an ARP
// request whose sender and target IP are both the VIP (what keepalived and arping -U send), and
// an ICMPv6 neighbour advertisement to ff02::1 with the target link-layer option. The kernel
// adds the Ethernet header (SOCK_DGRAM packet socket) and the ICMPv6 checksum.
#include "lb/peer/neighbour_announcer.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lb::peer {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

}  // namespace

Result<std::unique_ptr<NeighbourAnnouncer>> NeighbourAnnouncer::open(const std::string& interface,
                                                                     int family) {
    const unsigned index = if_nametoindex(interface.c_str());
    if (index == 0) return Error{fmt::format("interface {}: {}", interface, errno_text(errno))};
    const int fd = family == AF_INET
                       ? ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP))
                       : ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0)
        return Error{fmt::format("cannot open a raw socket for neighbour announcements: {}",
                                 errno_text(errno))};
    ifreq request{};
    std::strncpy(request.ifr_name, interface.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd, SIOCGIFHWADDR, &request) != 0) {
        const int error = errno;
        ::close(fd);
        return Error{
            fmt::format("cannot read the MAC address of {}: {}", interface, errno_text(error))};
    }
    std::array<std::uint8_t, 6> mac{};
    std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
    if (family == AF_INET6) {
        // Neighbour discovery is only believed from hop limit 255 (RFC 4861 §7.1.2).
        const int hops = 255;
        const int index_value = static_cast<int>(index);
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index_value, sizeof index_value) !=
                0) {
            const int error = errno;
            ::close(fd);
            return Error{
                fmt::format("cannot set up ICMPv6 on {}: {}", interface, errno_text(error))};
        }
    }
    return std::unique_ptr<NeighbourAnnouncer>(new NeighbourAnnouncer(fd, index, mac, interface));
}

NeighbourAnnouncer::~NeighbourAnnouncer() {
    if (fd_ >= 0) ::close(fd_);
}

Result<Ok> NeighbourAnnouncer::announce(const VirtualAddress& address) {
    return address.family == AF_INET ? announce_ipv4(address) : announce_ipv6(address);
}

Result<Ok> NeighbourAnnouncer::announce_ipv4(const VirtualAddress& address) {
    ether_arp arp{};
    arp.arp_hrd = htons(ARPHRD_ETHER);
    arp.arp_pro = htons(ETHERTYPE_IP);
    arp.arp_hln = ETH_ALEN;
    arp.arp_pln = 4;
    arp.arp_op = htons(ARPOP_REQUEST);
    std::memcpy(arp.arp_sha, mac_.data(), ETH_ALEN);
    std::memcpy(arp.arp_spa, address.bytes.data(), 4);
    std::memset(arp.arp_tha, 0xff, ETH_ALEN);
    std::memcpy(arp.arp_tpa, address.bytes.data(), 4);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = static_cast<int>(index_);
    to.sll_halen = ETH_ALEN;
    std::memset(to.sll_addr, 0xff, ETH_ALEN);
    if (::sendto(fd_, &arp, sizeof arp, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
        return Error{fmt::format("gratuitous ARP for {} on {}: {}", address.ip_string(), name_,
                                 errno_text(errno))};
    return Ok{};
}

Result<Ok> NeighbourAnnouncer::announce_ipv6(const VirtualAddress& address) {
    struct {
        nd_neighbor_advert advert;
        nd_opt_hdr option;
        std::uint8_t mac[6];
    } __attribute__((packed)) message{};
    message.advert.nd_na_type = ND_NEIGHBOR_ADVERT;
    message.advert.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
    std::memcpy(&message.advert.nd_na_target, address.bytes.data(), 16);
    message.option.nd_opt_type = ND_OPT_TARGET_LINKADDR;
    message.option.nd_opt_len = 1;  // in units of 8 bytes: type, length and the MAC
    std::memcpy(message.mac, mac_.data(), 6);
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    to.sin6_scope_id = index_;
    if (::sendto(fd_, &message, sizeof message, 0, reinterpret_cast<const sockaddr*>(&to),
                 sizeof to) < 0)
        return Error{fmt::format("unsolicited neighbour advertisement for {} on {}: {}",
                                 address.ip_string(), name_, errno_text(errno))};
    return Ok{};
}

}  // namespace lb::peer
