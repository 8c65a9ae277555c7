// Every Prometheus metric lb exports (lb/metrics/README.md). The control plane's are registry
// families whose label children are created up front and cached; the data path's are built at
// scrape time from the data path's own counters (DataPathFamilies), so a connection touches no
// prometheus-cpp object. Invariant: a child, once created, lives as long as the Metrics object
// (never removed).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "lb/metrics/connection_error.h"
#include "lb/metrics/data_path_families.h"
#include "lb/metrics/peer_families.h"

namespace lb::metrics {

class Metrics {
public:
    // `sites` in config order (index 0 primary, 1 standby). The data-path families are read from
    // `data_path` at each serialize(); it must outlive this object. Creates every control-plane
    // series, so each one is exported (at 0) before anything happens: rate() and increase() then
    // see the first event (the data path's series are at 0 as soon as `data_path` knows the
    // listener).
    Metrics(std::vector<std::string> sites, const DataPathSource& data_path,
            std::string_view version = default_version());
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // --- Main loop (control plane). Out-of-range site indices are ignored. --------------------

    void site_health(std::size_t site, bool up);  // lb_site_up
    void site_active(std::size_t site);           // 1 for `site`, 0 for the others
    void site_pinned(std::optional<std::size_t> site);
    // lb_failovers_total{from, to, reason}; reason as policy::to_string(TransitionReason):
    // health | pin | failback | peer | admin (all pre-created; others are added on first use).
    void failover(std::size_t from, std::size_t to, std::string_view reason);
    // lb_health_checks_total{result} + 1 and the duration histogram.
    void health_check(std::size_t site, bool ok, double seconds);
    // Where the lb_peer_* families read the link's counters at each scrape (none: no [peer],
    // every peer series at 0).
    void set_peer_source(PeerFamilies::Source source) { peer_.set_source(std::move(source)); }
    // Where lb_log_lines_dropped_total is read at each scrape (none: 0).
    void set_log_lines_dropped_source(std::function<std::uint64_t()> source) {
        log_lines_dropped_ = std::move(source);
    }

    // --- Exposition (any thread: the registry locks while it collects) ----------------------

    // The Prometheus text exposition format, version 0.0.4: the registry's families and the
    // data path's.
    [[nodiscard]] std::string serialize() const;
    [[nodiscard]] const std::vector<std::string>& sites() const { return sites_; }

    [[nodiscard]] static std::string_view default_version();

private:
    [[nodiscard]] bool valid_site(std::size_t site) const { return site < sites_.size(); }
    prometheus::Counter& failover_child(std::size_t from, std::size_t to, std::string_view reason);

    std::vector<std::string> sites_;
    std::shared_ptr<prometheus::Registry> registry_;

    prometheus::Family<prometheus::Gauge>& site_up_;
    prometheus::Family<prometheus::Gauge>& site_active_;
    prometheus::Family<prometheus::Gauge>& site_pinned_;
    prometheus::Family<prometheus::Counter>& failovers_;
    prometheus::Family<prometheus::Counter>& health_checks_;
    prometheus::Family<prometheus::Histogram>& health_check_duration_;
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
    // Control-plane children looked up by label values (main loop only, never the data path).
    std::map<std::tuple<std::size_t, std::size_t, std::string>, prometheus::Counter*>
        failover_children_;
    DataPathFamilies data_path_;
    PeerFamilies peer_;
    std::function<std::uint64_t()> log_lines_dropped_;
};

}  // namespace lb::metrics
