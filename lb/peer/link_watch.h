// Whether the VIP's interface can carry traffic: administratively up and with carrier (IFF_UP and
// IFF_LOWER_UP), read through rtnetlink (libmnl). A MASTER whose link is gone keeps the VIP on a
// dead wire while the peer takes over; when the link returns, two masters would fight for an
// address only one of them served meanwhile. So a link that cannot carry traffic is a FAULT.
// One blocking request of a few microseconds per poll, on the main loop.
#pragma once

#include <memory>
#include <string>

#include "lb/base/result.h"

struct mnl_socket;

namespace lb::peer {

class LinkWatch {
public:
    // Opens a NETLINK_ROUTE socket for interface `index` (named `name` in messages).
    [[nodiscard]] static Result<std::unique_ptr<LinkWatch>> open(unsigned index, std::string name);
    ~LinkWatch();
    LinkWatch(const LinkWatch&) = delete;
    LinkWatch& operator=(const LinkWatch&) = delete;

    // "" when the link is up with carrier, else why not: "eth0 is down", "eth0 has no carrier",
    // "eth0 is gone". An error reading it is an error, not a verdict.
    [[nodiscard]] Result<std::string> problem();

private:
    LinkWatch(unsigned index, std::string name, mnl_socket* socket);

    unsigned index_;
    std::string name_;
    mnl_socket* socket_;
    unsigned port_id_;
    unsigned sequence_ = 0;
};

}  // namespace lb::peer
