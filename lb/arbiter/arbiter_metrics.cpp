#include "lb/arbiter/arbiter_metrics.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <chrono>
#include <vector>

#include "lb/metrics/family_builder.h"
#include "lb/metrics/metrics.h"

namespace lb::arbiter {
namespace {

using metrics::add_series;
using metrics::family;
using prometheus::MetricType;

constexpr std::array kDropReasons = {
    peer::AdvertReject::Short,        peer::AdvertReject::Oversized,
    peer::AdvertReject::Malformed,    peer::AdvertReject::BadSignature,
    peer::AdvertReject::UnknownId,    peer::AdvertReject::Replayed,
};

prometheus::MetricFamily seconds_gauge(std::string name, std::string help, Duration value) {
    prometheus::MetricFamily out = family(std::move(name), std::move(help), MetricType::Gauge);
    prometheus::ClientMetric metric;
    metric.gauge.value = std::chrono::duration<double>(value).count();
    out.metric.push_back(std::move(metric));
    return out;
}

}  // namespace

std::string metrics_text(const ArbiterStatus& s) {
    std::vector<prometheus::MetricFamily> families;

    auto holder = family("lb_arbiter_lease_holder",
                         "1 for the member holding an unexpired lease", MetricType::Gauge);
    for (const MemberStatus& m : s.members)
        add_series(holder, {{"member", m.id}}, s.holder == m.id ? 1 : 0);
    families.push_back(std::move(holder));

    families.push_back(seconds_gauge("lb_arbiter_lease_remaining_seconds",
                                     "Time left on the current lease (0: nobody holds it)",
                                     s.remaining));
    families.push_back(
        seconds_gauge("lb_arbiter_lease_seconds", "The length of a grant ([arbiter] lease)",
                      s.lease));

    auto requests = family("lb_arbiter_requests_total", "Admitted lease requests, by verdict",
                           MetricType::Counter);
    add_series(requests, {{"verdict", "granted"}}, s.granted);
    add_series(requests, {{"verdict", "refused"}}, s.refused);
    add_series(requests, {{"verdict", "released"}}, s.released);
    families.push_back(std::move(requests));

    auto member_requests = family("lb_arbiter_member_requests_total",
                                  "Admitted lease requests of each member", MetricType::Counter);
    for (const MemberStatus& m : s.members)
        add_series(member_requests, {{"member", m.id}}, m.requests);
    families.push_back(std::move(member_requests));

    auto changes = family("lb_arbiter_holder_changes_total",
                          "The lease went to another member, or to nobody", MetricType::Counter);
    add_series(changes, {}, s.holder_changes);
    families.push_back(std::move(changes));

    auto dropped = family("lb_arbiter_requests_dropped_total",
                          "Datagrams dropped before the lease table, by reason",
                          MetricType::Counter);
    for (const peer::AdvertReject reason : kDropReasons) {
        const std::string label(peer::to_string(reason));
        const auto it = s.rejected.find(label);
        add_series(dropped, {{"reason", label}}, it == s.rejected.end() ? 0 : it->second);
    }
    families.push_back(std::move(dropped));

    auto epoch = family("lb_arbiter_decision_epoch",
                        "Epoch of the newest policy decision a member reported (0: none)",
                        MetricType::Gauge);
    add_series(epoch, {}, s.newest ? s.newest->epoch : 0);
    families.push_back(std::move(epoch));

    auto build = family("lb_build_info", "Always 1; the version is in the label",
                        MetricType::Gauge);
    add_series(build, {{"version", std::string(metrics::Metrics::default_version())}}, 1);
    families.push_back(std::move(build));

    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace lb::arbiter
