// Live traffic counters per listener and per site, for the admin socket and the status page.
// Entries are created by the main loop (at start and reload) and never destroyed, so workers
// hold plain pointers to them; workers update them with relaxed atomics at connection events
// and per forwarded chunk — no lock on the data path.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace lb {

struct ConnectionCounters {
    std::atomic<std::uint64_t> active{0};
    std::atomic<std::uint64_t> max{0};  // highest `active` seen (HAProxy smax)
    std::atomic<std::uint64_t> total{0};
    std::atomic<std::uint64_t> bytes_to_site{0};
    std::atomic<std::uint64_t> bytes_to_client{0};
    std::atomic<std::uint64_t> connect_errors{0};  // sites only
    std::atomic<std::uint64_t> rejected{0};        // listeners only: over max_connections

    void opened() {
        total.fetch_add(1, std::memory_order_relaxed);
        const std::uint64_t now = active.fetch_add(1, std::memory_order_relaxed) + 1;
        std::uint64_t seen = max.load(std::memory_order_relaxed);
        while (now > seen && !max.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
    }
    void closed() { active.fetch_sub(1, std::memory_order_relaxed); }
    void add_bytes(std::uint64_t to_site, std::uint64_t to_client) {
        if (to_site != 0) bytes_to_site.fetch_add(to_site, std::memory_order_relaxed);
        if (to_client != 0) bytes_to_client.fetch_add(to_client, std::memory_order_relaxed);
    }
};

class TrafficStats {
public:
    // Finds or creates; the reference stays valid for the life of this object. Any thread.
    ConnectionCounters& listener(const std::string& name) { return entry(listeners_, name); }
    ConnectionCounters& site(const std::string& name) { return entry(sites_, name); }

private:
    using Table = std::map<std::string, std::unique_ptr<ConnectionCounters>>;
    ConnectionCounters& entry(Table& table, const std::string& name) {
        std::lock_guard lock(mutex_);
        auto& slot = table[name];
        if (!slot) slot = std::make_unique<ConnectionCounters>();
        return *slot;
    }

    std::mutex mutex_;  // guards the tables' shape only, never the counters
    Table listeners_;
    Table sites_;
};

}  // namespace lb
