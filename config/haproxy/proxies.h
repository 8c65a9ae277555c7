// The meaning of haproxy.cfg's directives, as far as lb has a use for it: `global`, and each
// frontend, backend and listen section with the `defaults` it inherits applied first (as HAProxy
// does: the last `defaults` before a proxy, or the one named by `from NAME`). Directives lb has no
// equivalent for are reported here, once each, with what is done instead; what is kept is a
// plain structure with the line each value came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/duration.h"
#include "config/haproxy/diagnostics.h"
#include "config/haproxy/document.h"
#include "config/socket_address.h"

namespace lb::config::haproxy {

template <typename T>
struct Located {
    T value{};
    int line = 0;
};

struct HaproxyGlobal {
    std::optional<Located<int>> maxconn;
    std::optional<Located<int>> nbthread;
    std::optional<Located<std::string>> stats_socket;  // a Unix socket path
    std::optional<Located<unsigned>> stats_socket_mode;
};

enum class ProxyKind { Defaults, Frontend, Backend, Listen };
enum class ProxyMode { Tcp, Http, Other };

struct Bind {
    int line = 0;
    std::vector<SocketAddress> addresses;  // one per usable address of the line
    bool accept_proxy = false;             // `accept-proxy`: clients send a PROXY header first
};

// Options of a `server` line, and of `default-server` (the starting point of each server).
struct ServerOptions {
    bool check = false;
    std::optional<Duration> inter;
    std::optional<int> rise;
    std::optional<int> fall;
    std::optional<std::uint16_t> check_port;
    bool backup = false;
    ProxyProtocol send_proxy = ProxyProtocol::None;
    bool check_send_proxy = false;  // `check-send-proxy`: checks send a PROXY header regardless
    bool check_ssl = false;
    std::string verify;  // "none", "required" or ""
    std::string ca_file;
    std::string check_sni;
    bool disabled = false;
};

struct Server {
    int line = 0;
    std::string name;
    std::optional<SocketAddress> address;  // port 0; unset: unusable (reported)
    std::optional<std::uint16_t> port;     // unset: the port the client connected to
    ServerOptions options;
};

enum class CheckType { Connect, Http, TcpCheck };

struct HealthCheck {
    CheckType type = CheckType::Connect;  // Connect: no option httpchk/tcp-check
    int line = 0;                         // of the option that set the type
    std::string method = "OPTIONS";       // HAProxy's defaults for option httpchk
    std::string uri = "/";
    std::string host;  // the Host header, if one is sent
    std::optional<Located<std::string>> expect_status;  // lb's expect_status grammar
    std::optional<Located<std::string>> expect_body;    // a substring
};

struct Proxy {
    ProxyKind kind = ProxyKind::Defaults;
    std::string name;
    int line = 0;
    Located<ProxyMode> mode{ProxyMode::Tcp, 0};
    std::vector<Bind> binds;
    std::optional<Located<std::string>> default_backend;
    std::optional<Located<std::string>> first_use_backend;
    ServerOptions default_server;
    std::vector<Server> servers;
    HealthCheck check;
    std::optional<Located<Duration>> timeout_connect;
    std::optional<Located<Duration>> timeout_client;
    std::optional<Located<Duration>> timeout_server;
    std::optional<Located<Duration>> timeout_check;
    std::optional<Located<Duration>> timeout_tunnel;
    std::optional<Located<int>> retries;
    std::optional<Located<bool>> redispatch;
    bool stats_page = false;  // `stats enable`/`stats uri`, or the Prometheus exporter
};

struct Model {
    HaproxyGlobal global;
    std::vector<Proxy> proxies;  // frontends, backends and listens, in file order
};

[[nodiscard]] Model read_model(const Document& document, ImportDiagnostics& out);

}  // namespace lb::config::haproxy
