#include "lb/metrics/peer_families.h"

#include <array>
#include <string_view>

namespace lb::metrics {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

// The reasons a received advert is rejected for (lb/peer/advert.h AdvertReject), pre-created.
constexpr std::array<std::string_view, 6> kRejectReasons = {
    "short", "oversized", "malformed", "bad_signature", "unknown_id", "replayed"};
constexpr std::array<std::string_view, 3> kRoles = {"master", "backup", "fault"};

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
    prometheus::MetricFamily out;
    out.name = std::move(name);
    out.help = std::move(help);
    out.type = type;
    return out;
}

void add(prometheus::MetricFamily& into, Labels labels, std::uint64_t value) {
    prometheus::ClientMetric metric;
    metric.label = std::move(labels);
    if (into.type == prometheus::MetricType::Counter)
        metric.counter.value = static_cast<double>(value);
    else
        metric.gauge.value = static_cast<double>(value);
    into.metric.push_back(std::move(metric));
}

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
        add(role, {{"role", std::string(name)}}, peer && c.role == name ? 1 : 0);
    auto vip =
        family("lb_peer_vip_held", "1 while this instance holds the virtual IP", MetricType::Gauge);
    add(vip, {}, c.vip_held ? 1 : 0);
    auto transitions = family("lb_peer_transitions_total", "Peer role changes, by from and to role",
                              MetricType::Counter);
    for (const auto& [key, count] : c.transitions)
        add(transitions, {{"from", key.first}, {"to", key.second}}, count);
    auto adverts = family("lb_peer_adverts_total",
                          "Peer adverts sent and received, by result (and reason when rejected)",
                          MetricType::Counter);
    add(adverts, {{"direction", "sent"}, {"result", "ok"}, {"reason", ""}}, c.sent_ok);
    add(adverts, {{"direction", "sent"}, {"result", "error"}, {"reason", ""}}, c.sent_error);
    add(adverts, {{"direction", "received"}, {"result", "ok"}, {"reason", ""}}, c.received_ok);
    for (const std::string_view reason : kRejectReasons) {
        const auto it = c.rejected.find(std::string(reason));
        add(adverts,
            {{"direction", "received"}, {"result", "rejected"}, {"reason", std::string(reason)}},
            it == c.rejected.end() ? 0 : it->second);
    }
    std::vector<prometheus::MetricFamily> out;
    out.push_back(std::move(role));
    out.push_back(std::move(vip));
    out.push_back(std::move(transitions));
    out.push_back(std::move(adverts));
    return out;
}

}  // namespace lb::metrics
