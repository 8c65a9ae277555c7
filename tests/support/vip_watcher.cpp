// VipWatcher: a hand-rolled RTM_GETADDR dump (the NLMSG_* macros are C casts, which this
// project's warnings refuse), one socket per namespace, made inside it with NetnsScope.
#include "tests/support/vip_watcher.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "tests/support/netns_scope.h"

namespace lb::test {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

template <typename T>
T read_at(const std::uint8_t* bytes) {
    T value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
}

// Whether the namespace behind `fd` has `vip` (its first `vip_size` bytes: 4 for IPv4, 16 for IPv6)
// as a local address of `family`; false if the dump fails (a namespace being torn down holds
// nothing).
bool holds(int fd, int family, const std::array<std::uint8_t, 16>& vip, std::size_t vip_size,
           std::uint32_t sequence) {
    struct {
        nlmsghdr header;
        ifaddrmsg message;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_GETADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.nlmsg_seq = sequence;
    request.message.ifa_family = static_cast<std::uint8_t>(family);
    if (::send(fd, &request, sizeof request, 0) != static_cast<ssize_t>(sizeof request))
        return false;
    bool found = false;
    alignas(nlmsghdr) static thread_local std::array<std::uint8_t, 32768> buffer;
    for (;;) {
        pollfd ready{fd, POLLIN, 0};
        if (::poll(&ready, 1, 1000) != 1) return false;
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) return false;
        std::size_t offset = 0;
        const auto size = static_cast<std::size_t>(n);
        while (offset + sizeof(nlmsghdr) <= size) {
            const auto header = read_at<nlmsghdr>(buffer.data() + offset);
            if (header.nlmsg_len < sizeof(nlmsghdr) || offset + header.nlmsg_len > size)
                return false;
            if (header.nlmsg_seq == sequence) {
                if (header.nlmsg_type == NLMSG_DONE) return found;
                if (header.nlmsg_type == NLMSG_ERROR) return false;
                if (header.nlmsg_type == RTM_NEWADDR) {
                    std::size_t at = offset + sizeof(nlmsghdr) + align4(sizeof(ifaddrmsg));
                    const std::size_t end = offset + header.nlmsg_len;
                    while (at + sizeof(rtattr) <= end) {
                        const auto attribute = read_at<rtattr>(buffer.data() + at);
                        if (attribute.rta_len < sizeof(rtattr) || at + attribute.rta_len > end)
                            break;
                        const std::size_t payload = attribute.rta_len - sizeof(rtattr);
                        if ((attribute.rta_type == IFA_LOCAL ||
                             attribute.rta_type == IFA_ADDRESS) &&
                            payload == vip_size &&
                            std::memcmp(buffer.data() + at + sizeof(rtattr), vip.data(),
                                        vip_size) == 0)
                            found = true;
                        at += align4(attribute.rta_len);
                    }
                }
            }
            offset += align4(header.nlmsg_len);
        }
    }
}

}  // namespace

VipWatcher::VipWatcher(Options options) : options_(std::move(options)) {
    if (::inet_pton(AF_INET, options_.vip.c_str(), vip_.data()) == 1) {
        family_ = AF_INET;
        size_ = 4;
    } else if (::inet_pton(AF_INET6, options_.vip.c_str(), vip_.data()) == 1) {
        family_ = AF_INET6;
        size_ = 16;
    } else {
        size_ = 0;
    }
    if (options_.netns.empty() || options_.netns.size() > 32 || size_ == 0)
        throw std::system_error(EINVAL, std::generic_category(), "VipWatcher options");
    const auto close_all = [this] {
        for (const int fd : sockets_) ::close(fd);
        sockets_.clear();
    };
    for (const std::string& netns : options_.netns) {
        try {
            const NetnsScope scope(netns);
            const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
            if (fd < 0)
                throw std::system_error(errno, std::generic_category(), "netlink in " + netns);
            sockets_.push_back(fd);
        } catch (...) {
            close_all();
            throw;
        }
    }
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) {
        close_all();
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    samples_.push_back(Sample{SteadyClock::now(), sample()});
    thread_ = std::thread([this] { run(); });
}

VipWatcher::~VipWatcher() { stop(); }

void VipWatcher::stop() {
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(stop_fd_);
    for (const int fd : sockets_) ::close(fd);
}

VipWatcher::Holders VipWatcher::holders() const {
    const std::lock_guard lock(mutex_);
    return samples_.back().holders;
}

std::vector<VipWatcher::Sample> VipWatcher::samples() const {
    const std::lock_guard lock(mutex_);
    return samples_;
}

VipWatcher::Holders VipWatcher::sample() const {
    static std::uint32_t sequence = 0;  // only ever called from one thread at a time
    Holders out = 0;
    for (std::size_t i = 0; i < sockets_.size(); ++i)
        if (holds(sockets_[i], family_, vip_, size_, ++sequence)) out |= Holders{1} << i;
    return out;
}

void VipWatcher::run() noexcept {
    auto next = SteadyClock::now();
    for (;;) {
        next += options_.every;
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - SteadyClock::now());
        pollfd stop{stop_fd_, POLLIN, 0};
        if (::poll(&stop, 1, static_cast<int>(std::max<long long>(wait.count(), 0))) > 0) return;
        const Holders now = sample();
        const std::lock_guard lock(mutex_);
        samples_.push_back(Sample{SteadyClock::now(), now});
        if (next < SteadyClock::now()) next = SteadyClock::now();
    }
}

VipOverlap summarize(const std::vector<VipWatcher::Sample>& samples, SteadyClock::time_point from,
                     SteadyClock::time_point to) {
    VipOverlap out;
    long long both_us = 0;
    long long none_us = 0;
    bool started = false;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const VipWatcher::Sample& sample = samples[i];
        const auto begin = std::max(sample.at, from);
        const auto end = std::min(i + 1 < samples.size() ? samples[i + 1].at : sample.at, to);
        if (i + 1 < samples.size() && samples[i + 1].at <= from) continue;  // wholly before
        if (sample.at >= to) break;
        if (!started) {
            out.first = sample.holders;
            started = true;
        } else if (sample.holders != out.last) {
            ++out.changes;
        }
        out.last = sample.holders;
        if (end <= begin) continue;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count();
        const int count = std::popcount(sample.holders);
        if (count >= 2) both_us += us;
        if (count == 0) none_us += us;
    }
    out.both_ms = both_us / 1000;
    out.none_ms = none_us / 1000;
    return out;
}

}  // namespace lb::test
