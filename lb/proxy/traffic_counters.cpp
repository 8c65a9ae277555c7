// Counting on the worker threads, summing on the reader's. The data path only ever follows the
// pointers in its RouteCounters; the maps below change only under the mutex.
#include "lb/proxy/traffic_counters.h"

namespace lb {

void Concurrency::opened() noexcept {
    const std::uint64_t now = active.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint64_t seen = max.load(std::memory_order_relaxed);
    while (now > seen && !max.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}

// --- RouteCounters (the owning worker's thread) -----------------------------------------------

void RouteCounters::opened(std::size_t site_index) const noexcept {
    listener_->total.add();
    listener_->concurrency.opened();
    if (SiteTraffic* s = site(site_index)) {
        listener_->connections[site_index].add();
        s->total.add();
        s->concurrency.opened();
    }
}

void RouteCounters::retried(std::size_t from, std::size_t to) const noexcept {
    if (SiteTraffic* s = site(from)) s->concurrency.closed();
    if (SiteTraffic* s = site(to)) {
        listener_->connections[to].add();
        s->total.add();
        s->concurrency.opened();
    }
}

void RouteCounters::closed(std::size_t site_index) const noexcept {
    listener_->concurrency.closed();
    if (SiteTraffic* s = site(site_index)) s->concurrency.closed();
}

void RouteCounters::error(std::size_t site_index, metrics::ConnectionError reason) const noexcept {
    SiteTraffic* s = site(site_index);
    const auto column = static_cast<std::size_t>(reason);
    if (s == nullptr || column >= metrics::kConnectionErrorCount) return;
    listener_->errors[site_index][column].add();
    if (reason == metrics::ConnectionError::ConnectRefused ||
        reason == metrics::ConnectionError::ConnectTimeout)
        s->connect_errors.add();
}

void RouteCounters::rejected() const noexcept {
    listener_->rejected.add();
    listener_->errors_no_site[static_cast<std::size_t>(metrics::ConnectionError::Limit)].add();
}

void RouteCounters::bad_proxy_header() const noexcept {
    listener_->errors_no_site[static_cast<std::size_t>(metrics::ConnectionError::ProxyHeader)]
        .add();
}

void RouteCounters::bytes(std::optional<std::size_t> site_index, std::uint64_t to_site,
                          std::uint64_t to_client) const noexcept {
    SiteTraffic* s = site_index ? site(*site_index) : nullptr;
    if (to_site != 0) {
        listener_->bytes_to_site.add(to_site);
        if (s != nullptr) s->bytes_to_site.add(to_site);
    }
    if (to_client != 0) {
        listener_->bytes_to_client.add(to_client);
        if (s != nullptr) s->bytes_to_client.add(to_client);
    }
}

// --- TrafficSink, TrafficCounters (main thread, readers anywhere) -----------------------------

namespace {

Concurrency& shared_entry(std::map<std::string, std::unique_ptr<Concurrency>>& table,
                          const std::string& name) {
    auto& slot = table[name];
    if (!slot) slot = std::make_unique<Concurrency>();
    return *slot;
}

template <typename Entry>
Entry& worker_entry(std::map<std::string, std::unique_ptr<Entry>>& table, const std::string& name,
                    std::map<std::string, std::unique_ptr<Concurrency>>& shared) {
    auto& slot = table[name];
    if (!slot) slot = std::make_unique<Entry>(shared_entry(shared, name));
    return *slot;
}

// The entry `name` of one sink's table, or nullptr.
template <typename Entry>
const Entry* find(const std::map<std::string, std::unique_ptr<Entry>>& table,
                  const std::string& name) {
    const auto found = table.find(name);
    return found == table.end() ? nullptr : found->second.get();
}

}  // namespace

RouteCounters TrafficSink::route(const std::string& listener,
                                 const std::array<std::string, kTrafficSites>& sites) {
    std::lock_guard lock(owner_.mutex_);
    std::array<SiteTraffic*, kTrafficSites> site_entries{};
    for (std::size_t i = 0; i < kTrafficSites; ++i)
        site_entries[i] = &worker_entry(sites_, sites[i], owner_.site_concurrency_);
    return RouteCounters(worker_entry(listeners_, listener, owner_.listener_concurrency_),
                         site_entries);
}

TrafficSink& TrafficCounters::sink(std::size_t worker) {
    std::lock_guard lock(mutex_);
    while (sinks_.size() <= worker)
        sinks_.push_back(std::unique_ptr<TrafficSink>(new TrafficSink(*this)));
    return *sinks_[worker];
}

ListenerTotals TrafficCounters::listener(const std::string& name) const {
    std::lock_guard lock(mutex_);
    ListenerTotals out;
    if (const Concurrency* shared = find(listener_concurrency_, name)) {
        out.active = shared->active.load(std::memory_order_relaxed);
        out.max = shared->max.load(std::memory_order_relaxed);
    }
    for (const auto& sink : sinks_) {
        const ListenerTraffic* entry = find(sink->listeners_, name);
        if (entry == nullptr) continue;
        out.total += entry->total.load();
        out.rejected += entry->rejected.load();
        out.bytes_to_site += entry->bytes_to_site.load();
        out.bytes_to_client += entry->bytes_to_client.load();
    }
    return out;
}

SiteTotals TrafficCounters::site(const std::string& name) const {
    std::lock_guard lock(mutex_);
    SiteTotals out;
    if (const Concurrency* shared = find(site_concurrency_, name)) {
        out.active = shared->active.load(std::memory_order_relaxed);
        out.max = shared->max.load(std::memory_order_relaxed);
    }
    for (const auto& sink : sinks_) {
        const SiteTraffic* entry = find(sink->sites_, name);
        if (entry == nullptr) continue;
        out.total += entry->total.load();
        out.connect_errors += entry->connect_errors.load();
        out.bytes_to_site += entry->bytes_to_site.load();
        out.bytes_to_client += entry->bytes_to_client.load();
    }
    return out;
}

std::vector<metrics::ListenerSample> TrafficCounters::sample() const {
    std::lock_guard lock(mutex_);
    std::vector<metrics::ListenerSample> out;
    for (const auto& [name, shared] : listener_concurrency_) {
        metrics::ListenerSample sample;
        sample.listener = name;
        sample.active = shared->active.load(std::memory_order_relaxed);
        sample.connections.assign(kTrafficSites, 0);
        sample.errors.assign(kTrafficSites, metrics::ErrorCounts{});
        for (const auto& sink : sinks_) {
            const ListenerTraffic* entry = find(sink->listeners_, name);
            if (entry == nullptr) continue;
            for (std::size_t site = 0; site < kTrafficSites; ++site) {
                sample.connections[site] += entry->connections[site].load();
                for (std::size_t reason = 0; reason < metrics::kConnectionErrorCount; ++reason)
                    sample.errors[site][reason] += entry->errors[site][reason].load();
            }
            for (std::size_t reason = 0; reason < metrics::kConnectionErrorCount; ++reason)
                sample.errors_no_site[reason] += entry->errors_no_site[reason].load();
            sample.bytes_to_site += entry->bytes_to_site.load();
            sample.bytes_to_client += entry->bytes_to_client.load();
        }
        out.push_back(std::move(sample));
    }
    return out;
}

}  // namespace lb
