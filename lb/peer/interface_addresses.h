// Adds and removes the virtual IP on an interface through rtnetlink (libmnl), and tells whether
// it is there. Blocking calls of a few microseconds, made on the main loop when the role
// changes. Needs CAP_NET_ADMIN.
#pragma once

#include <memory>
#include <string>

#include "lb/base/result.h"
#include "lb/peer/virtual_address.h"

struct mnl_socket;

namespace lb::peer {

class InterfaceAddresses {
public:
    // Resolves `interface` and opens a NETLINK_ROUTE socket; the error names what failed.
    [[nodiscard]] static Result<std::unique_ptr<InterfaceAddresses>> open(
        const std::string& interface);
    ~InterfaceAddresses();
    InterfaceAddresses(const InterfaceAddresses&) = delete;
    InterfaceAddresses& operator=(const InterfaceAddresses&) = delete;

    // True: added. False: it was already there (not an error: a crashed run may have left it).
    [[nodiscard]] Result<bool> add(const VirtualAddress& address);
    // True: removed. False: it was not there.
    [[nodiscard]] Result<bool> remove(const VirtualAddress& address);
    [[nodiscard]] Result<bool> has(const VirtualAddress& address);

    [[nodiscard]] unsigned index() const { return index_; }
    [[nodiscard]] const std::string& name() const { return name_; }

private:
    InterfaceAddresses(std::string name, unsigned index, mnl_socket* socket);
    // Sends one request and reads its acknowledgement: 0 or a negative errno.
    [[nodiscard]] int request(int type, int flags, const VirtualAddress& address);

    std::string name_;
    unsigned index_ = 0;
    mnl_socket* socket_ = nullptr;
    unsigned port_id_ = 0;
    unsigned sequence_ = 0;
};

}  // namespace lb::peer
