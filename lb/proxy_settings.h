// What the data path needs from the config, as one immutable snapshot shared by a worker's
// sessions. A reload builds a new snapshot; sessions keep the one they started with.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace lb {

struct ListenerRoute {
    std::string name;
    SocketAddress bind;
    std::array<SocketAddress, 2> site_endpoints;  // by site index: 0 primary, 1 standby
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

[[nodiscard]] std::shared_ptr<const ProxySettings> make_proxy_settings(const config::Config& cfg);

}  // namespace lb
