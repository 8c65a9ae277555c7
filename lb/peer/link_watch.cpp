// RTM_GETLINK for one ifindex; the answer is an RTM_NEWLINK whose ifinfomsg carries the flags.
#include "lb/peer/link_watch.h"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace lb::peer {
namespace {

struct LinkFlags {
    unsigned flags = 0;
    bool found = false;
};

int on_link(const nlmsghdr* message, void* data) {
    if (message->nlmsg_type != RTM_NEWLINK) return MNL_CB_OK;
    auto* out = static_cast<LinkFlags*>(data);
    const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
    out->flags = info->ifi_flags;
    out->found = true;
    return MNL_CB_OK;
}

}  // namespace

Result<std::unique_ptr<LinkWatch>> LinkWatch::open(unsigned index, std::string name) {
    mnl_socket* socket = mnl_socket_open(NETLINK_ROUTE);
    if (socket == nullptr)
        return Error{fmt::format("cannot open a netlink socket: {}", std::strerror(errno))};
    // Never block the main loop on a lost answer: a poll that times out is an error, not a
    // verdict, and the next poll tries again.
    const timeval timeout{0, 100'000};
    if (setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) !=
            0 ||
        mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int error = errno;
        mnl_socket_close(socket);
        return Error{fmt::format("cannot bind a netlink socket: {}", std::strerror(error))};
    }
    return std::unique_ptr<LinkWatch>(new LinkWatch(index, std::move(name), socket));
}

LinkWatch::LinkWatch(unsigned index, std::string name, mnl_socket* socket)
    : index_(index), name_(std::move(name)), socket_(socket), port_id_(mnl_socket_get_portid(socket)) {}

LinkWatch::~LinkWatch() { mnl_socket_close(socket_); }

Result<std::string> LinkWatch::problem() {
    std::vector<char> buffer(static_cast<std::size_t>(MNL_SOCKET_BUFFER_SIZE));
    nlmsghdr* message = mnl_nlmsg_put_header(buffer.data());
    message->nlmsg_type = RTM_GETLINK;
    message->nlmsg_flags = NLM_F_REQUEST;
    message->nlmsg_seq = ++sequence_;
    auto* info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = static_cast<int>(index_);
    const auto failed = [this](int error) {
        return Error{fmt::format("cannot read the state of {}: {}", name_, std::strerror(error))};
    };
    const unsigned sequence = message->nlmsg_seq;
    if (mnl_socket_sendto(socket_, message, message->nlmsg_len) < 0) return failed(errno);
    LinkFlags link;
    // An answer to an earlier poll that timed out may come first: skip it.
    for (int reads = 0; reads < 4 && !link.found; ++reads) {
        const ssize_t received = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
        if (received < 0) return failed(errno);
        const auto* header = reinterpret_cast<const nlmsghdr*>(buffer.data());
        if (static_cast<std::size_t>(received) >= sizeof *header && header->nlmsg_seq != sequence)
            continue;
        if (mnl_cb_run(buffer.data(), static_cast<std::size_t>(received), sequence, port_id_,
                       &on_link, &link) < 0) {
            if (errno == ENODEV) return fmt::format("{} is gone", name_);
            return failed(errno);
        }
    }
    if (!link.found) return failed(EPROTO);
    if ((link.flags & IFF_UP) == 0) return fmt::format("{} is down", name_);
    if ((link.flags & IFF_LOWER_UP) == 0) return fmt::format("{} has no carrier", name_);
    return std::string();
}

}  // namespace lb::peer
