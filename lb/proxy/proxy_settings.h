// What the data path needs from the config, as one immutable snapshot shared by a worker's
// sessions, bound to that worker's counters. A reload builds a new snapshot per worker; sessions
// keep the one they started with.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/proxy/traffic_counters.h"

namespace lb {

struct ListenerRoute {
    std::string name;
    SocketAddress bind;
    std::array<SocketAddress, 2> site_endpoints;  // by site index: 0 primary, 1 standby
    config::ProxyProtocol proxy_protocol = config::ProxyProtocol::None;  // header to the site
    bool accept_proxy = false;  // clients start with a PROXY header (another balancer in front)
    RouteCounters counters;  // this worker's, for this listener and site_names; outlive settings
};

struct ProxySettings {
    Duration connect_timeout{};
    Duration idle_timeout{};
    bool retry_on_standby = true;
    bool splice = true;
    config::LogFormat log_format = config::LogFormat::Tcplog;
    std::array<std::string, 2> site_names;
    std::vector<ListenerRoute> routes;  // same order as config.listeners
};

// The snapshot of one worker: its routes count into `sink`, which no other worker may write.
// Main thread.
[[nodiscard]] std::shared_ptr<const ProxySettings> make_proxy_settings(const config::Config& cfg,
                                                                       TrafficSink& sink);

}  // namespace lb
