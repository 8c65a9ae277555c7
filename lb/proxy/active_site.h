// The policy's decision as the data path sees it: which site takes new connections, and which
// sites may take a retried connect. One atomic word, written by the main loop, read lock-free by
// every worker at accept time.
#pragma once

#include <atomic>
#include <cstdint>

namespace lb {

struct SiteSnapshot {
    std::uint8_t active = 0;          // site index: 0 primary, 1 standby
    std::uint8_t retry_eligible = 0;  // bit i: site i is up and accepts new connections
    std::uint32_t epoch = 0;

    [[nodiscard]] bool eligible(std::size_t site) const { return (retry_eligible >> site) & 1U; }
};

class ActiveSite {
public:
    void publish(SiteSnapshot snapshot) {
        const std::uint64_t packed = static_cast<std::uint64_t>(snapshot.epoch) << 16 |
                                     static_cast<std::uint64_t>(snapshot.retry_eligible) << 8 |
                                     snapshot.active;
        packed_.store(packed, std::memory_order_release);
    }
    [[nodiscard]] SiteSnapshot read() const {
        const std::uint64_t packed = packed_.load(std::memory_order_acquire);
        return SiteSnapshot{static_cast<std::uint8_t>(packed & 0xff),
                            static_cast<std::uint8_t>((packed >> 8) & 0xff),
                            static_cast<std::uint32_t>(packed >> 16)};
    }

private:
    std::atomic<std::uint64_t> packed_{0};
};

}  // namespace lb
