#include "lb/metrics/peer_families.h"

#include <array>
#include <string_view>

#include "lb/metrics/family_builder.h"

namespace lb::metrics {
namespace {

// The reasons a received advert is rejected for (lb/peer/advert.h AdvertReject), pre-created.
constexpr std::array<std::string_view, 6> kRejectReasons = {
    "short", "oversized", "malformed", "bad_signature", "unknown_id", "replayed"};
constexpr std::array<std::string_view, 3> kRoles = {"master", "backup", "fault"};

}  // namespace

std::vector<prometheus::MetricFamily> PeerFamilies::Collect() const {
    using prometheus::MetricType;
    const std::optional<PeerCounters> peer = source_ ? source_() : std::nullopt;
    const PeerCounters none;
    const PeerCounters& c = peer ? *peer : none;

    auto role =
        family("lb_peer_role", "1 for this instance's peer role (all 0 without a [peer] section)",
               MetricType::Gauge);
    for (const std::string_view name : kRoles)
        add_series(role, {{"role", std::string(name)}}, peer && c.role == name ? 1 : 0);
    auto vip =
        family("lb_peer_vip_held", "1 while this instance holds the virtual IP", MetricType::Gauge);
    add_series(vip, {}, c.vip_held ? 1 : 0);
    auto lease = family("lb_arbiter_lease_held",
                        "1 while this instance holds the arbiter's lease", MetricType::Gauge);
    add_series(lease, {}, c.lease_held ? 1 : 0);
    auto transitions = family("lb_peer_transitions_total", "Peer role changes, by from and to role",
                              MetricType::Counter);
    for (const auto& [key, count] : c.transitions)
        add_series(transitions, {{"from", key.first}, {"to", key.second}}, count);
    auto adverts = family("lb_peer_adverts_total",
                          "Peer adverts sent and received, by result (and reason when rejected)",
                          MetricType::Counter);
    add_series(adverts, {{"direction", "sent"}, {"result", "ok"}, {"reason", ""}}, c.sent_ok);
    add_series(adverts, {{"direction", "sent"}, {"result", "error"}, {"reason", ""}}, c.sent_error);
    add_series(adverts, {{"direction", "received"}, {"result", "ok"}, {"reason", ""}},
               c.received_ok);
    for (const std::string_view reason : kRejectReasons) {
        const auto it = c.rejected.find(std::string(reason));
        add_series(
            adverts,
            {{"direction", "received"}, {"result", "rejected"}, {"reason", std::string(reason)}},
            it == c.rejected.end() ? 0 : it->second);
    }
    std::vector<prometheus::MetricFamily> out;
    out.push_back(std::move(role));
    out.push_back(std::move(vip));
    out.push_back(std::move(lease));
    out.push_back(std::move(transitions));
    out.push_back(std::move(adverts));
    return out;
}

}  // namespace lb::metrics
