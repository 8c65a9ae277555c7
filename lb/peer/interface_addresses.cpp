// rtnetlink messages are built with libmnl's helpers and the kernel's own structs
// (<linux/rtnetlink.h>, <linux/if_addr.h>): RTM_NEWADDR / RTM_DELADDR with IFA_LOCAL and
// IFA_ADDRESS, acknowledged (NLM_F_ACK) so errors come back as errno values.
#include "lb/peer/interface_addresses.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace lb::peer {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

struct DumpMatch {
    const VirtualAddress* wanted;
    unsigned index;
    bool found = false;
};

int on_address_attribute(const nlattr* attr, void* data) {
    auto* match = static_cast<DumpMatch*>(data);
    const int type = mnl_attr_get_type(attr);
    if (type != IFA_LOCAL && type != IFA_ADDRESS) return MNL_CB_OK;
    if (mnl_attr_get_payload_len(attr) != match->wanted->size()) return MNL_CB_OK;
    if (std::memcmp(mnl_attr_get_payload(attr), match->wanted->bytes.data(),
                    match->wanted->size()) == 0)
        match->found = true;
    return MNL_CB_OK;
}

int on_address(const nlmsghdr* message, void* data) {
    auto* match = static_cast<DumpMatch*>(data);
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(message));
    if (ifa->ifa_index != match->index || ifa->ifa_family != match->wanted->family)
        return MNL_CB_OK;
    return mnl_attr_parse(message, sizeof *ifa, &on_address_attribute, data);
}

}  // namespace

Result<std::unique_ptr<InterfaceAddresses>> InterfaceAddresses::open(const std::string& interface) {
    const unsigned index = if_nametoindex(interface.c_str());
    if (index == 0) return Error{fmt::format("interface {}: {}", interface, errno_text(errno))};
    mnl_socket* socket = mnl_socket_open(NETLINK_ROUTE);
    if (socket == nullptr)
        return Error{fmt::format("cannot open a netlink socket: {}", errno_text(errno))};
    if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int error = errno;
        mnl_socket_close(socket);
        return Error{fmt::format("cannot bind a netlink socket: {}", errno_text(error))};
    }
    return std::unique_ptr<InterfaceAddresses>(new InterfaceAddresses(interface, index, socket));
}

InterfaceAddresses::InterfaceAddresses(std::string name, unsigned index, mnl_socket* socket)
    : name_(std::move(name)),
      index_(index),
      socket_(socket),
      port_id_(mnl_socket_get_portid(socket)),
      sequence_(static_cast<unsigned>(std::time(nullptr))) {}

InterfaceAddresses::~InterfaceAddresses() {
    if (socket_ != nullptr) mnl_socket_close(socket_);
}

int InterfaceAddresses::request(int type, int flags, const VirtualAddress& address) {
    std::vector<char> buffer(static_cast<std::size_t>(MNL_SOCKET_BUFFER_SIZE));
    nlmsghdr* message = mnl_nlmsg_put_header(buffer.data());
    message->nlmsg_type = static_cast<std::uint16_t>(type);
    message->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    message->nlmsg_seq = ++sequence_;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<std::uint8_t>(address.family);
    ifa->ifa_prefixlen = address.prefix_length;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = index_;
    mnl_attr_put(message, IFA_LOCAL, address.size(), address.bytes.data());
    mnl_attr_put(message, IFA_ADDRESS, address.size(), address.bytes.data());
    // An IPv6 VIP must answer at once: no duplicate address detection (the peer has just
    // given it up, or is gone).
    if (address.family == AF_INET6 && type == RTM_NEWADDR)
        mnl_attr_put_u32(message, IFA_FLAGS, IFA_F_NODAD);
    if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0) return -errno;
    const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (received < 0) return -errno;
    if (mnl_cb_run(buffer.data(), static_cast<std::size_t>(received), message->nlmsg_seq, port_id_,
                   nullptr, nullptr) < 0)
        return -errno;
    return 0;
}

Result<bool> InterfaceAddresses::add(const VirtualAddress& address) {
    const int rc = request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, address);
    if (rc == -EEXIST) return false;
    if (rc < 0)
        return Error{
            fmt::format("cannot add {} to {}: {}", address.to_string(), name_, errno_text(-rc))};
    return true;
}

Result<bool> InterfaceAddresses::remove(const VirtualAddress& address) {
    const int rc = request(RTM_DELADDR, 0, address);
    if (rc == -EADDRNOTAVAIL || rc == -ENOENT) return false;
    if (rc < 0)
        return Error{fmt::format("cannot remove {} from {}: {}", address.to_string(), name_,
                                 errno_text(-rc))};
    return true;
}

Result<bool> InterfaceAddresses::has(const VirtualAddress& address) {
    std::vector<char> buffer(static_cast<std::size_t>(MNL_SOCKET_BUFFER_SIZE));
    nlmsghdr* message = mnl_nlmsg_put_header(buffer.data());
    message->nlmsg_type = RTM_GETADDR;
    message->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message->nlmsg_seq = ++sequence_;
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<std::uint8_t>(address.family);
    if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0)
        return Error{fmt::format("cannot list the addresses of {}: {}", name_, errno_text(errno))};
    DumpMatch match{&address, index_};
    const unsigned sequence = message->nlmsg_seq;
    while (true) {
        const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
        if (received < 0)
            return Error{
                fmt::format("cannot list the addresses of {}: {}", name_, errno_text(errno))};
        const int rc = mnl_cb_run(buffer.data(), static_cast<std::size_t>(received), sequence,
                                  port_id_, &on_address, &match);
        if (rc < 0)
            return Error{
                fmt::format("cannot list the addresses of {}: {}", name_, errno_text(errno))};
        if (rc == MNL_CB_STOP) break;
    }
    return match.found;
}

}  // namespace lb::peer
