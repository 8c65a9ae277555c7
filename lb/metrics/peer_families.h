// The peer link's families, built at scrape time from the link's own counters (one home for
// each figure, as the data-path families): lb_peer_role{role}, lb_peer_vip_held,
// lb_peer_transitions_total{from,to} and lb_peer_adverts_total{direction,result,reason}.
// Without a [peer] section the role and VIP series read 0 and the advert series are all 0, so
// dashboards and alert rules always find them.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lb::metrics {

struct PeerCounters {
    std::string role;  // "init" | "backup" | "master" | "fault"
    bool vip_held = false;
    bool lease_held = false;  // the arbiter's lease
    std::map<std::pair<std::string, std::string>, std::uint64_t> transitions;  // (from, to)
    std::uint64_t sent_ok = 0;
    std::uint64_t sent_error = 0;
    std::uint64_t received_ok = 0;
    std::map<std::string, std::uint64_t> rejected;  // by reason
};

class PeerFamilies {
public:
    using Source = std::function<std::optional<PeerCounters>()>;

    void set_source(Source source) { source_ = std::move(source); }
    [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const;

private:
    Source source_;
};

}  // namespace lb::metrics
