// What the data path needs from the config, as one immutable snapshot shared by a worker's
// sessions. A reload builds a new snapshot; sessions keep the one they started with.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/metrics/metrics.h"
#include "lb/proxy/traffic_stats.h"

namespace lb {

struct ListenerRoute {
    std::string name;
    SocketAddress bind;
    std::array<SocketAddress, 2> site_endpoints;   // by site index: 0 primary, 1 standby
    ConnectionCounters* counters = nullptr;        // owned by TrafficStats, outlives settings
    metrics::DataPathCounters* metrics = nullptr;  // owned by Metrics, outlives settings
};

struct ProxySettings {
    Duration connect_timeout{};
    Duration idle_timeout{};
    bool retry_on_standby = true;
    bool splice = true;
    config::LogFormat log_format = config::LogFormat::Tcplog;
    std::array<std::string, 2> site_names;
    std::array<ConnectionCounters*, 2> site_counters{};
    std::vector<ListenerRoute> routes;  // same order as config.listeners
};

// `metrics` must already know cfg's listeners (Metrics::set_listeners), in the same order.
[[nodiscard]] std::shared_ptr<const ProxySettings> make_proxy_settings(const config::Config& cfg,
                                                                       TrafficStats& stats,
                                                                       metrics::Metrics& metrics);

}  // namespace lb
