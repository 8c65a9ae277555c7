// The data path's connection counters, counted once: each worker has its own TrafficSink, which
// only that worker's thread writes (a relaxed load and store on cache lines no other core
// writes), and Prometheus and the admin views read sums over all sinks. `active` and `max`
// (HAProxy's smax) are the exception: the highest concurrency across workers cannot be summed
// from per-worker maxima, so each listener and each site has one shared Concurrency, updated once
// per open and close (as ConnectionBudget already is), never per forwarded chunk.
// Entries are created on the main thread (start, reload) and never removed: sessions still
// draining on an old settings snapshot hold them, and counters must not go backwards.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lb/metrics/connection_error.h"
#include "lb/metrics/data_path_source.h"

namespace lb {

// Sites by index, as in ProxySettings: 0 primary, 1 standby.
inline constexpr std::size_t kTrafficSites = 2;
// Keeps one worker's entries off the cache lines of another's (no false sharing).
inline constexpr std::size_t kCacheLine = 64;

// A counter with a single writer thread: add() needs no locked instruction. Any thread may read.
class WorkerCounter {
public:
    void add(std::uint64_t n = 1) noexcept {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t load() const noexcept {
        return value_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t> value_{0};
};

// Connections open now over all workers, and the most ever open at once. Any thread.
struct alignas(kCacheLine) Concurrency {
    std::atomic<std::uint64_t> active{0};
    std::atomic<std::uint64_t> max{0};

    void opened() noexcept;
    void closed() noexcept { active.fetch_sub(1, std::memory_order_relaxed); }
};

// One worker's counts for one listener.
struct alignas(kCacheLine) ListenerTraffic {
    explicit ListenerTraffic(Concurrency& shared) : concurrency(shared) {}

    Concurrency& concurrency;  // the listener's, shared by all workers
    WorkerCounter total;       // client connections given a site (a retry is the same one)
    WorkerCounter rejected;    // over max_connections, before a site was chosen
    WorkerCounter bytes_to_site;
    WorkerCounter bytes_to_client;
    std::array<WorkerCounter, kTrafficSites> connections;  // by site index, retries included
    using ErrorRow = std::array<WorkerCounter, metrics::kConnectionErrorCount>;
    std::array<ErrorRow, kTrafficSites> errors;  // by site index, then by ConnectionError
    ErrorRow errors_no_site;
};

// One worker's counts for one site (by name: a reload may rename or swap sites).
struct alignas(kCacheLine) SiteTraffic {
    explicit SiteTraffic(Concurrency& shared) : concurrency(shared) {}

    Concurrency& concurrency;      // the site's, shared by all workers
    WorkerCounter total;           // connects started, retries included
    WorkerCounter connect_errors;  // refused or timed out: the site's fault, not this host's
    WorkerCounter bytes_to_site;
    WorkerCounter bytes_to_client;
};

// What a session and its worker report: one worker's entries for one listener and for the two
// sites of a settings snapshot. Built by TrafficSink::route(); called only on that worker's
// thread. A site index out of range is ignored (never a crash on the data path).
class RouteCounters {
public:
    RouteCounters() = default;
    RouteCounters(ListenerTraffic& listener, std::array<SiteTraffic*, kTrafficSites> sites)
        : listener_(&listener), sites_(sites) {}

    // A client connection is sent to `site`. Pair with one closed() on the site it ends on.
    void opened(std::size_t site) const noexcept;
    // The same client connection moves from `from` to `to` (retry_on_standby): counted among
    // `to`'s connections, not as a new client connection.
    void retried(std::size_t from, std::size_t to) const noexcept;
    void closed(std::size_t site) const noexcept;
    // lb_connection_errors_total{site, reason}; ConnectRefused and ConnectTimeout are also the
    // site's connect errors (Limit at a connect means this host ran out of fds or memory).
    void error(std::size_t site, metrics::ConnectionError reason) const noexcept;
    // Over max_connections: refused before a site was chosen (reason Limit, site "-").
    void rejected() const noexcept;
    // accept_proxy: no valid PROXY header came, so no site was chosen (reason ProxyHeader,
    // site "-").
    void bad_proxy_header() const noexcept;
    // Bytes moved since the last call, counted on the listener and on `site` when there is one.
    void bytes(std::optional<std::size_t> site, std::uint64_t to_site,
               std::uint64_t to_client) const noexcept;

    // Equal when both count into the same entries (a reload keeps a listener's and a site's).
    [[nodiscard]] bool operator==(const RouteCounters&) const = default;

private:
    [[nodiscard]] SiteTraffic* site(std::size_t index) const {
        return index < kTrafficSites ? sites_[index] : nullptr;
    }

    ListenerTraffic* listener_ = nullptr;
    std::array<SiteTraffic*, kTrafficSites> sites_{};
};

// A listener's or a site's counts summed over all workers.
struct ListenerTotals {
    std::uint64_t active = 0;
    std::uint64_t max = 0;
    std::uint64_t total = 0;
    std::uint64_t rejected = 0;
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
};

struct SiteTotals {
    std::uint64_t active = 0;
    std::uint64_t max = 0;
    std::uint64_t total = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
};

class TrafficCounters;

// One worker's counters. Only that worker's thread writes them (through RouteCounters).
class TrafficSink {
public:
    TrafficSink(const TrafficSink&) = delete;
    TrafficSink& operator=(const TrafficSink&) = delete;

    // The entries for `listener` and `sites` (by index), created on first use. Main thread; the
    // result stays valid as long as the TrafficCounters.
    [[nodiscard]] RouteCounters route(const std::string& listener,
                                      const std::array<std::string, kTrafficSites>& sites);

private:
    friend class TrafficCounters;
    explicit TrafficSink(TrafficCounters& owner) : owner_(owner) {}

    TrafficCounters& owner_;
    std::map<std::string, std::unique_ptr<ListenerTraffic>> listeners_;
    std::map<std::string, std::unique_ptr<SiteTraffic>> sites_;
};

// Every worker's sink, and the sums that Prometheus (as a metrics::DataPathSource) and the admin
// views read. Readers and entry creation take one mutex, which the data path never takes.
class TrafficCounters final : public metrics::DataPathSource {
public:
    TrafficCounters() = default;
    TrafficCounters(const TrafficCounters&) = delete;
    TrafficCounters& operator=(const TrafficCounters&) = delete;

    // Worker `worker`'s sink, created on first use. Main thread; valid as long as this object.
    [[nodiscard]] TrafficSink& sink(std::size_t worker);

    // Sums over all sinks; zeros for a name never counted. Any thread.
    [[nodiscard]] ListenerTotals listener(const std::string& name) const;
    [[nodiscard]] SiteTotals site(const std::string& name) const;
    // Every listener ever routed, by name, with the site indices of its connections and errors.
    [[nodiscard]] std::vector<metrics::ListenerSample> sample() const override;

private:
    friend class TrafficSink;

    mutable std::mutex mutex_;  // guards the tables' shape, never the counts
    std::vector<std::unique_ptr<TrafficSink>> sinks_;
    std::map<std::string, std::unique_ptr<Concurrency>> listener_concurrency_;
    std::map<std::string, std::unique_ptr<Concurrency>> site_concurrency_;
};

}  // namespace lb
