// The four data-path families (lb/metrics/README.md), with the names, labels and help they had as
// registry families: dashboards and alerts see no difference.
#include "lb/metrics/data_path_families.h"

#include <string_view>

#include "lb/metrics/family_builder.h"

namespace lb::metrics {
namespace {

constexpr std::string_view kNoSiteLabel = "-";

template <typename T>
T at_or_zero(const std::vector<T>& values, std::size_t index) {
    return index < values.size() ? values[index] : T{};
}

}  // namespace

std::vector<prometheus::MetricFamily> DataPathFamilies::Collect() const {
    using prometheus::MetricType;
    auto connections =
        family("lb_connections_total", "Client connections sent to a site", MetricType::Counter);
    auto active = family("lb_connections_active", "Client connections open now", MetricType::Gauge);
    auto errors = family("lb_connection_errors_total",
                         "Connections that failed: connect refused or timed out, reset, or over "
                         "max_connections (site \"-\")",
                         MetricType::Counter);
    auto bytes = family("lb_bytes_total", "Bytes proxied, by direction", MetricType::Counter);

    for (const ListenerSample& sample : source_.sample()) {
        const std::string& listener = sample.listener;
        auto add_errors = [&](const std::string& site, const ErrorCounts& counts) {
            for (const ConnectionError reason : kConnectionErrors)
                add_series(errors,
                           {{"listener", listener},
                            {"site", site},
                            {"reason", std::string(to_string(reason))}},
                           counts[static_cast<std::size_t>(reason)]);
        };
        for (std::size_t site = 0; site < sites_.size(); ++site) {
            add_series(connections, {{"listener", listener}, {"site", sites_[site]}},
                       at_or_zero(sample.connections, site));
            add_errors(sites_[site], at_or_zero(sample.errors, site));
        }
        add_errors(std::string(kNoSiteLabel), sample.errors_no_site);
        add_series(active, {{"listener", listener}}, sample.active);
        add_series(bytes, {{"listener", listener}, {"direction", "client_to_site"}},
                   sample.bytes_to_site);
        add_series(bytes, {{"listener", listener}, {"direction", "site_to_client"}},
                   sample.bytes_to_client);
    }
    std::vector<prometheus::MetricFamily> out;
    for (auto* f : {&connections, &active, &errors, &bytes}) out.push_back(std::move(*f));
    return out;
}

}  // namespace lb::metrics
