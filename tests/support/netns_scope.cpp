// NetnsScope: setns(2) there and back on the calling thread.
#include "tests/support/netns_scope.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace lb::test {

std::string netns_path(const std::string& netns) { return "/run/netns/" + netns; }

NetnsScope::NetnsScope(const std::string& netns) {
    original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_ < 0)
        throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
    const int target = ::open(netns_path(netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
        const int error = errno;
        if (target >= 0) ::close(target);
        ::close(original_);
        throw std::system_error(error, std::generic_category(), "enter network namespace " + netns);
    }
    ::close(target);
}

NetnsScope::~NetnsScope() {
    // A thread left in a test's namespace would create every later socket there: not survivable.
    if (::setns(original_, CLONE_NEWNET) != 0) std::abort();
    ::close(original_);
}

}  // namespace lb::test
