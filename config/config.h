// The whole configuration as loaded from lb.toml, after validation. Plain values: no toml++ types
// leave config/. Defaults here are the defaults an operator gets for an absent key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/duration.h"
#include "config/socket_address.h"

namespace lb::config {

using namespace std::chrono_literals;

enum class LogFormat { Tcplog, Json, None };
enum class SiteRole { Primary, Standby };
enum class CheckKind { Tcp, Http, Https };
enum class TlsVerify { None, Ca };
enum class Failback { Manual, Auto };
enum class ProxyProtocol { None, V1, V2 };

struct Global {
    int workers = 0;  // 0 = one per core
    int max_connections = 20000;
    bool splice = true;  // zero-copy forwarding with splice(2); false: read/write buffers
    std::string state_file = "/var/lib/lb/state.json";
    LogFormat log_format = LogFormat::Tcplog;
};

struct Admin {
    std::string socket = "/run/lb/admin.sock";
    unsigned mode = 0660;
};

struct Metrics {
    std::optional<SocketAddress> listen = SocketAddress::parse_endpoint("127.0.0.1:9100");
    // The endpoint needs no password: an address other hosts can reach must be asked for.
    bool allow_remote = false;
};

struct Timeouts {
    Duration connect = 3s;
    Duration idle = 1h;
    Duration drain = 30s;
};

struct HealthSettings {
    CheckKind kind = CheckKind::Http;
    std::optional<std::uint16_t> port;  // unset: the first listener's target port
    std::string path = "/";
    std::string host = "gateway";
    std::string expect_status = "200-399";
    std::string expect_body;
    TlsVerify verify = TlsVerify::None;
    std::string ca_file;
    Duration interval = 1s;
    Duration timeout = 500ms;
    int rise = 2;
    int fall = 3;
    // Failed client connects bring the site down only when `fall` came in a row and the run has
    // lasted this long (health/passive_streak.h): a burst of refusals from a healthy gateway
    // does not cause a sticky failover, a dead one under load is down this long after it died.
    Duration passive_window = std::chrono::milliseconds(200);
    // The gateway's check port expects PROXY headers: each check sends a LOCAL one first.
    ProxyProtocol proxy_protocol = ProxyProtocol::None;
};

struct Policy {
    Failback failback = Failback::Manual;
    Duration failback_after = 60s;
    bool retry_on_standby = true;
};

struct Site {
    std::string name;
    SocketAddress address;  // port 0; the port comes from the listener or `ports`
    SiteRole role = SiteRole::Primary;
    std::map<std::string, std::uint16_t> ports;  // listener name → port override
    HealthSettings health;                       // [health] with [sites.health] applied
};

struct Listener {
    std::string name;
    SocketAddress bind;
    std::uint16_t target_port = 0;  // defaults to the bind port
    ProxyProtocol proxy_protocol = ProxyProtocol::None;
    bool accept_proxy = false;
};

struct Peer {
    std::string id;
    std::string peer_id;  // the partner's id: adverts from any other id are dropped
    int priority = 100;
    SocketAddress bind;
    std::vector<SocketAddress> peers;
    Duration advert_interval = 200ms;
    bool preempt = false;
    std::string key_file;
    std::string vip;  // "10.0.0.100/24"
    std::string interface;
    std::string notify;
    std::vector<std::string> track;
    // The pair's arbiter (`lb arbiter`), the third vote: with it, the VIP needs two of three.
    std::optional<SocketAddress> arbiter;
};

struct Config {
    std::string source_path;
    Global global;
    Admin admin;
    Metrics metrics;
    Timeouts timeouts;
    HealthSettings health;
    Policy policy;
    std::vector<Site> sites;  // validated: exactly one primary and one standby, primary first
    std::vector<Listener> listeners;
    std::optional<Peer> peer;

    [[nodiscard]] const Site& primary() const { return sites.at(0); }
    [[nodiscard]] const Site& standby() const { return sites.at(1); }
    // The port a listener's connections use on a site: the site's override, else target_port.
    [[nodiscard]] std::uint16_t site_port(const Site& site, const Listener& listener) const {
        const auto it = site.ports.find(listener.name);
        return it != site.ports.end() ? it->second : listener.target_port;
    }
};

[[nodiscard]] const char* to_string(LogFormat v);
[[nodiscard]] const char* to_string(SiteRole v);
[[nodiscard]] const char* to_string(CheckKind v);
[[nodiscard]] const char* to_string(TlsVerify v);
[[nodiscard]] const char* to_string(Failback v);
[[nodiscard]] const char* to_string(ProxyProtocol v);

}  // namespace lb::config
