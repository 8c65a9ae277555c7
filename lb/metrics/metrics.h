// Every Prometheus metric of DESIGN.md in one registry. Label children are created up front and
// cached, so the data path increments atomics through plain references: no lookup, no lock.
// Invariant: a child, once created, lives as long as the Metrics object (never removed).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace lb::metrics {

// The `reason` label of lb_connection_errors_total.
enum class ConnectionError { ConnectRefused, ConnectTimeout, Reset, Limit };
inline constexpr std::size_t kConnectionErrorCount = 4;
[[nodiscard]] std::string_view to_string(ConnectionError reason);
// The inverse, for lb::metric_reason(Termination): nullopt for "" and anything unknown.
[[nodiscard]] std::optional<ConnectionError> parse_connection_error(std::string_view reason);

// The `role` label of lb_peer_role.
enum class PeerRole { Master, Backup, Fault };
[[nodiscard]] std::string_view to_string(PeerRole role);

// The `direction` label of lb_peer_adverts_total.
enum class AdvertDirection { Sent, Received };
[[nodiscard]] std::string_view to_string(AdvertDirection direction);

// A site index for errors that happened before a site was chosen (over max_connections): the
// series carries site="-", as the tcplog line does.
inline constexpr std::size_t kNoSite = static_cast<std::size_t>(-1);

// One listener's data-path series. Worker threads call these concurrently: each is one atomic
// update of a cached child (prometheus-cpp's Counter and Gauge are atomics), so no lock is taken.
// Site indices follow the constructor's site names (0 primary, 1 standby); an index out of range
// is ignored (never a crash on the data path).
class DataPathCounters {
public:
    DataPathCounters(const DataPathCounters&) = delete;
    DataPathCounters& operator=(const DataPathCounters&) = delete;

    // A client connection was accepted and sent to `site`: connections_total{site} + 1 and
    // connections_active + 1. Pair each call with one connection_closed().
    void connection_opened(std::size_t site) noexcept;
    // The connection was retried on another site (retry_on_standby): connections_total{site} + 1
    // only, since it is still the same client connection.
    void connection_retried(std::size_t site) noexcept;
    // connections_active - 1.
    void connection_closed() noexcept;
    // lb_connection_errors_total{site, reason} + 1; `site` may be kNoSite (reason Limit).
    void connection_error(std::size_t site, ConnectionError reason) noexcept;
    // Bytes moved since the last call, in each direction.
    void bytes(std::uint64_t to_site, std::uint64_t to_client) noexcept;

    [[nodiscard]] const std::string& listener() const { return listener_; }

private:
    friend class Metrics;
    DataPathCounters(std::string listener, const std::vector<std::string>& sites,
                     prometheus::Family<prometheus::Counter>& connections,
                     prometheus::Family<prometheus::Gauge>& active,
                     prometheus::Family<prometheus::Counter>& errors,
                     prometheus::Family<prometheus::Counter>& bytes);

    using ErrorRow = std::vector<prometheus::Counter*>;  // by ConnectionError

    std::string listener_;
    std::vector<prometheus::Counter*> connections_;  // by site
    prometheus::Gauge* active_;
    std::vector<ErrorRow> errors_;  // by site; the last row is site "-"
    prometheus::Counter* bytes_to_site_;
    prometheus::Counter* bytes_to_client_;
};

class Metrics {
public:
    // `sites` in config order (index 0 primary, 1 standby); `listeners` as in set_listeners().
    // Creates every series, so each one is exported (at 0) before anything happens: rate() and
    // increase() then see the first event.
    Metrics(std::vector<std::string> sites, const std::vector<std::string>& listeners,
            std::string_view version = default_version());
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // --- Data path (setup on the main thread, use on any thread) ----------------------------

    // The counters of the listener at `index` in the last set_listeners() (or constructor)
    // list. Main thread only; the reference stays valid as long as this Metrics, so a worker may
    // keep it in its settings snapshot across reloads.
    [[nodiscard]] DataPathCounters& for_listener(std::size_t index);
    // Reload: `listeners` becomes the index order of for_listener(). A new name gets new series;
    // a known name keeps its counters (they must never go backwards). A removed listener's
    // series are kept, not deleted, because sessions still draining may hold references to them;
    // they disappear at the next restart. Main thread only.
    void set_listeners(const std::vector<std::string>& listeners);
    [[nodiscard]] std::size_t listener_count() const { return current_.size(); }

    // --- Main loop (control plane). Out-of-range site indices are ignored. --------------------

    void site_health(std::size_t site, bool up);  // lb_site_up
    void site_active(std::size_t site);           // 1 for `site`, 0 for the others
    void site_pinned(std::optional<std::size_t> site);
    // lb_failovers_total{from, to, reason}; reason as policy::to_string(TransitionReason):
    // health | pin | failback | peer | admin (all pre-created; others are added on first use).
    void failover(std::size_t from, std::size_t to, std::string_view reason);
    // lb_health_checks_total{result} + 1 and the duration histogram.
    void health_check(std::size_t site, bool ok, double seconds);
    // 1 for `role`, 0 for the others; nullopt (no [peer], or stopped) sets all three to 0.
    void peer_role(std::optional<PeerRole> role);
    // lb_peer_adverts_total{direction, result}: result "ok" | "rejected" (received) or "ok" |
    // "error" (sent) are pre-created; a peer may use finer verdicts from a fixed set.
    void peer_advert(AdvertDirection direction, std::string_view result);

    // --- Exposition (any thread: the registry locks while it collects) ----------------------

    // The Prometheus text exposition format, version 0.0.4.
    [[nodiscard]] std::string serialize() const;
    [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const {
        return registry_;
    }
    [[nodiscard]] const std::vector<std::string>& sites() const { return sites_; }

    [[nodiscard]] static std::string_view default_version();

private:
    [[nodiscard]] bool valid_site(std::size_t site) const { return site < sites_.size(); }
    prometheus::Counter& failover_child(std::size_t from, std::size_t to, std::string_view reason);
    prometheus::Counter& advert_child(AdvertDirection direction, std::string_view result);

    std::vector<std::string> sites_;
    std::shared_ptr<prometheus::Registry> registry_;

    prometheus::Family<prometheus::Gauge>& site_up_;
    prometheus::Family<prometheus::Gauge>& site_active_;
    prometheus::Family<prometheus::Gauge>& site_pinned_;
    prometheus::Family<prometheus::Counter>& failovers_;
    prometheus::Family<prometheus::Counter>& connections_;
    prometheus::Family<prometheus::Gauge>& connections_active_;
    prometheus::Family<prometheus::Counter>& connection_errors_;
    prometheus::Family<prometheus::Counter>& bytes_;
    prometheus::Family<prometheus::Counter>& health_checks_;
    prometheus::Family<prometheus::Histogram>& health_check_duration_;
    prometheus::Family<prometheus::Gauge>& peer_role_;
    prometheus::Family<prometheus::Counter>& peer_adverts_;
    prometheus::Family<prometheus::Gauge>& build_info_;

    struct SiteSeries {
        prometheus::Gauge* up;
        prometheus::Gauge* active;
        prometheus::Gauge* pinned;
        prometheus::Counter* checks_ok;
        prometheus::Counter* checks_fail;
        prometheus::Histogram* check_duration;
    };
    std::vector<SiteSeries> site_series_;
    std::vector<prometheus::Gauge*> peer_roles_;  // by PeerRole
    // Control-plane children looked up by label values (main loop only, never the data path).
    std::map<std::tuple<std::size_t, std::size_t, std::string>, prometheus::Counter*>
        failover_children_;
    std::map<std::pair<AdvertDirection, std::string>, prometheus::Counter*> advert_children_;

    std::vector<std::unique_ptr<DataPathCounters>> all_listeners_;  // never shrinks
    std::vector<DataPathCounters*> current_;                        // for_listener() order
};

}  // namespace lb::metrics
