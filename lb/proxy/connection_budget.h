// global.max_connections across all workers: one atomic counter, taken at accept, returned when
// the session is destroyed. Over the limit a client is still accepted, then closed at once.
#pragma once

#include <atomic>
#include <cstdint>

namespace lb {

class ConnectionBudget {
public:
    explicit ConnectionBudget(std::int64_t limit) : limit_(limit) {}

    [[nodiscard]] bool try_acquire() {
        if (active_.fetch_add(1, std::memory_order_relaxed) <
            limit_.load(std::memory_order_relaxed))
            return true;
        active_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    void release() { active_.fetch_sub(1, std::memory_order_relaxed); }
    void set_limit(std::int64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t active() const { return active_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> active_{0};
    std::atomic<std::int64_t> limit_;
};

}  // namespace lb
