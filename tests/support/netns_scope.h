// The calling thread inside a named network namespace (/run/netns/NAME, as `ip netns add` makes)
// for the lifetime of a NetnsScope, through setns(2), which moves one thread only. Sockets keep
// the namespace they were created in, so a socket made inside a scope may be used from any
// thread after it ends.
#pragma once

#include <string>

namespace lb::test {

class NetnsScope {
public:
    // Enters `netns`; throws std::system_error naming it when it cannot (no such namespace, or
    // no CAP_SYS_ADMIN).
    explicit NetnsScope(const std::string& netns);
    // Back to the namespace the thread was in.
    ~NetnsScope();
    NetnsScope(const NetnsScope&) = delete;
    NetnsScope& operator=(const NetnsScope&) = delete;

private:
    int original_ = -1;
};

// The path of a named namespace: "/run/netns/NAME".
[[nodiscard]] std::string netns_path(const std::string& netns);

}  // namespace lb::test
