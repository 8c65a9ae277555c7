// HAProxy's model (proxies.h) → lb's Config: each frontend (or listen) that sends its
// connections to a backend with two usable servers becomes one listener per bound address; the
// backend's non-backup server becomes the primary site, its backup server the standby, and
// frontends whose backends name the same two addresses share those sites (a port of their own
// per site where it differs: [sites.ports]). Checks, timeouts, the retry policy, maxconn and the
// stats socket map to their lb keys; whatever has no equivalent is reported with what was done
// instead. nullopt when nothing can be converted (with an error saying why).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/haproxy/diagnostics.h"
#include "config/haproxy/proxies.h"

namespace lb::config::haproxy {

struct Imported {
    Config config;
    // What each site and listener was made from ("server site-a in backend app, line 14"), for
    // comments in the TOML; parallel to config.sites and config.listeners.
    std::vector<std::string> site_origins;
    std::vector<std::string> listener_origins;
    std::string metrics_origin;  // "" when no stats page was found (metrics are then off)
    bool admin_from_stats_socket = false;
};

[[nodiscard]] std::optional<Imported> convert(const Model& model, ImportDiagnostics& out);

}  // namespace lb::config::haproxy
