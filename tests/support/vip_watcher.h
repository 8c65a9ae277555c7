// Who holds a virtual IP: a thread that asks every watched network namespace for its IPv4 (or
// IPv6) addresses (an RTM_GETADDR dump over rtnetlink) every few milliseconds (5 by default) and
// keeps each sample, so a scenario can integrate how long both instances of a pair held the VIP at
// once, and how long nobody did. Resolution: one period.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lb::test {

class VipWatcher {
public:
    struct Options {
        std::vector<std::string> netns;  // at most 32 named namespaces
        std::string vip;                 // IPv4 or IPv6, numeric, without prefix
        std::chrono::milliseconds every{5};
    };
    // Bit i set: netns[i] holds the VIP.
    using Holders = std::uint32_t;
    struct Sample {
        std::chrono::steady_clock::time_point at;
        Holders holders = 0;
    };

    // Opens one rtnetlink socket inside each namespace and starts polling; the first sample is
    // taken before the constructor returns. Throws std::system_error naming a namespace it
    // cannot enter.
    explicit VipWatcher(Options options);
    // stop().
    ~VipWatcher();
    VipWatcher(const VipWatcher&) = delete;
    VipWatcher& operator=(const VipWatcher&) = delete;

    void stop();                            // idempotent
    [[nodiscard]] Holders holders() const;  // the latest sample
    [[nodiscard]] std::vector<Sample> samples() const;

private:
    [[nodiscard]] Holders sample() const;
    void run() noexcept;

    Options options_;
    int family_ = 0;                      // of the VIP: AF_INET or AF_INET6
    std::array<std::uint8_t, 16> vip_{};  // network byte order; the first size_ bytes
    std::size_t size_ = 0;
    std::vector<int> sockets_;
    int stop_fd_ = -1;
    mutable std::mutex mutex_;
    std::vector<Sample> samples_;
    std::thread thread_;
};

// What the samples taken in [from, to) say, each sample standing for the time to the next one.
struct VipOverlap {
    long long both_ms = 0;          // two or more namespaces held the VIP
    long long none_ms = 0;          // nobody did
    std::size_t changes = 0;        // how often the set of holders changed
    VipWatcher::Holders first = 0;  // the holders at `from` and at the end
    VipWatcher::Holders last = 0;
};
[[nodiscard]] VipOverlap summarize(const std::vector<VipWatcher::Sample>& samples,
                                   std::chrono::steady_clock::time_point from,
                                   std::chrono::steady_clock::time_point to);

}  // namespace lb::test
