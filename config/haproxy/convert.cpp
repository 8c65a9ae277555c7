#include "config/haproxy/convert.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "config/haproxy/values.h"

namespace lb::config::haproxy {
namespace {

using namespace std::chrono_literals;

// HAProxy's defaults for a server's checks.
constexpr Duration kHaproxyInter = 2s;
constexpr int kHaproxyRise = 2;
constexpr int kHaproxyFall = 3;

const char* kind_name(ProxyKind kind) {
    switch (kind) {
        case ProxyKind::Frontend:
            return "frontend";
        case ProxyKind::Backend:
            return "backend";
        case ProxyKind::Listen:
            return "listen";
        case ProxyKind::Defaults:
            break;
    }
    return "defaults";
}

std::string proxy_label(const Proxy& proxy) {
    return std::string(kind_name(proxy.kind)) + " " + proxy.name;
}

// The two servers of a backend that become the sites, or why there are none.
struct Pair {
    const Server* primary = nullptr;
    const Server* standby = nullptr;
    std::string problem;
};

class Converter {
public:
    Converter(const Model& model, ImportDiagnostics& out) : model_(model), out_(out) {}

    std::optional<Imported> run() {
        for (const Proxy& proxy : model_.proxies)
            if (proxy.kind != ProxyKind::Frontend) backends_.emplace(proxy.name, &proxy);
        convert_global();
        for (const Proxy& proxy : model_.proxies) {
            if (proxy.kind == ProxyKind::Backend) continue;
            if (is_stats_page(proxy)) {
                convert_stats_page(proxy);
                continue;
            }
            if (proxy.binds.empty()) {
                if (proxy.kind == ProxyKind::Frontend || !proxy.servers.empty())
                    out_.warning(proxy.line, proxy_label(proxy) +
                                                 " binds no address lb can listen on; not "
                                                 "converted");
                continue;
            }
            ++frontends_with_binds_;
            convert_frontend(proxy);
        }
        if (result_.config.listeners.empty()) {
            out_.error(0, refusal());
            return std::nullopt;
        }
        warn_unused_backends();
        return std::move(result_);
    }

private:
    static bool is_stats_page(const Proxy& proxy) {
        return proxy.stats_page && proxy.servers.empty() && !proxy.default_backend;
    }

    std::string refusal() const {
        if (frontends_with_binds_ == 0)
            return "cannot convert: no frontend or listen section binds a TCP address, so lb "
                   "would have nothing to listen on";
        if (!pair_found_)
            return "cannot convert: no frontend sends its connections to a backend with two "
                   "usable servers (lb needs two sites: a primary and a standby, HAProxy's "
                   "'backup' server)";
        return "cannot convert: no frontend could be converted (see the warnings above)";
    }

    void convert_global() {
        const HaproxyGlobal& global = model_.global;
        Config& config = result_.config;
        if (global.maxconn) config.global.max_connections = global.maxconn->value;
        if (global.nbthread) config.global.workers = global.nbthread->value;
        if (global.stats_socket) {
            config.admin.socket = global.stats_socket->value;
            result_.admin_from_stats_socket = true;
        }
        if (global.stats_socket_mode) config.admin.mode = global.stats_socket_mode->value;
        config.metrics.listen.reset();  // HAProxy served no such page unless one is found
    }

    void convert_stats_page(const Proxy& proxy) {
        if (!result_.metrics_origin.empty()) {
            out_.warning(proxy.line, proxy_label(proxy) +
                                         ": a second stats page; lb has one operator endpoint "
                                         "(" + result_.metrics_origin + "); not converted");
            return;
        }
        if (proxy.binds.empty() || proxy.binds.front().addresses.empty()) return;
        const SocketAddress& address = proxy.binds.front().addresses.front();
        result_.config.metrics.listen = address;
        result_.metrics_origin = proxy_label(proxy) + ", line " + std::to_string(proxy.line);
        out_.warning(proxy.line,
                     proxy_label(proxy) + " (HAProxy's stats page) becomes lb's operator "
                                          "endpoint on " +
                         address.to_string() +
                         ": a status page at /, Prometheus metrics at /metrics, /status.json; "
                         "HAProxy's page and its URI are not reproduced");
        if (proxy.binds.size() > 1 || proxy.binds.front().addresses.size() > 1)
            out_.warning(proxy.binds.front().line,
                         "lb's operator endpoint listens on one address: " + address.to_string());
        if (!address.is_loopback()) {
            // HAProxy served it there: so does lb, but the file says so (metrics.allow_remote).
            result_.config.metrics.allow_remote = true;
            out_.warning(proxy.binds.front().line,
                         "the operator endpoint on " + address.to_string() +
                             " is reachable from other hosts and needs no password, as "
                             "HAProxy's page was: metrics.allow_remote = true says so (use a "
                             "loopback address to keep it on this host)");
        }
    }

    // The backend a frontend sends its connections to.
    const Proxy* backend_of(const Proxy& frontend) {
        if (frontend.kind == ProxyKind::Listen && !frontend.servers.empty()) return &frontend;
        std::optional<Located<std::string>> name = frontend.default_backend;
        if (!name && frontend.first_use_backend) {
            name = frontend.first_use_backend;
            out_.warning(name->line, proxy_label(frontend) + " has no default_backend: backend " +
                                         name->value + " of its first use_backend is used");
        }
        if (!name) {
            out_.warning(frontend.line, proxy_label(frontend) +
                                            " has no default_backend (and no servers): not "
                                            "converted");
            return nullptr;
        }
        const auto it = backends_.find(name->value);
        if (it == backends_.end()) {
            out_.warning(name->line, proxy_label(frontend) + ": no backend named " + name->value +
                                         " (HAProxy refuses this); not converted");
            return nullptr;
        }
        used_backends_.insert(it->second);
        return it->second;
    }

    Pair pair_of(const Proxy& backend) {
        std::vector<const Server*> active;
        std::vector<const Server*> backups;
        for (const Server& server : backend.servers) {
            if (!server.address) continue;  // reported already
            (server.options.backup ? backups : active).push_back(&server);
        }
        Pair pair;
        if (!active.empty()) pair.primary = active.front();
        if (!backups.empty()) pair.standby = backups.front();
        const bool first_time = reported_pairs_.insert(&backend).second;
        if (pair.primary && !pair.standby && active.size() >= 2) {
            pair.standby = active[1];
            if (first_time)
                out_.warning(pair.standby->line,
                             proxy_label(backend) + ": HAProxy balances between servers " +
                                 pair.primary->name + " and " + pair.standby->name +
                                 "; lb sends to one site: " + pair.primary->name +
                                 " becomes the primary, " + pair.standby->name +
                                 " the standby (as if it were 'backup')");
        } else if (!pair.primary && backups.size() >= 2) {
            pair.primary = backups[0];
            pair.standby = backups[1];
            if (first_time)
                out_.warning(pair.standby->line,
                             proxy_label(backend) + ": every server is 'backup'; " +
                                 pair.primary->name + " becomes the primary, " +
                                 pair.standby->name + " the standby");
        }
        if (!pair.primary || !pair.standby) {
            const std::size_t usable = active.size() + backups.size();
            pair.problem = proxy_label(backend) + " has " + std::to_string(usable) +
                           " usable server" + (usable == 1 ? "" : "s") +
                           "; lb needs two sites: a primary and a standby (a 'backup' server)";
            return pair;
        }
        if (first_time) {
            for (const Server& server : backend.servers)
                if (server.address && &server != pair.primary && &server != pair.standby)
                    out_.warning(server.line, "server " + server.name +
                                                  ": lb has two sites (" + pair.primary->name +
                                                  ", " + pair.standby->name +
                                                  "); this server is left out");
        }
        return pair;
    }

    std::string unique_listener_name(const std::string& base) {
        std::string name = base;
        for (int n = 2; listener_names_.contains(name); ++n) name = base + "-" + std::to_string(n);
        listener_names_.insert(name);
        return name;
    }

    void convert_frontend(const Proxy& frontend) {
        const Proxy* backend = backend_of(frontend);
        if (!backend) return;
        const Pair pair = pair_of(*backend);
        if (!pair.primary || !pair.standby) {
            out_.warning(frontend.line, proxy_label(frontend) + ": " + pair.problem +
                                            "; not converted");
            return;
        }
        pair_found_ = true;
        if (!anchor_) {
            make_sites(frontend, *backend, pair);
            anchor_label_ = proxy_label(frontend);
        } else if (!(*pair.primary->address == result_.config.sites[0].address) ||
                   !(*pair.standby->address == result_.config.sites[1].address)) {
            out_.warning(frontend.line,
                         proxy_label(frontend) + ": its servers (" + pair.primary->name + " " +
                             pair.primary->address->ip_string() + ", " + pair.standby->name +
                             " " + pair.standby->address->ip_string() +
                             ") are not lb's two sites (" + result_.site_origins[0] + "; " +
                             result_.site_origins[1] +
                             "); lb serves one primary and one standby: not converted");
            return;
        }
        if (anchor_label_ != proxy_label(frontend)) {
            check_timeouts(frontend, *backend);
            check_health(frontend, *backend, pair);
        }
        if (frontend.mode.value == ProxyMode::Http || backend->mode.value == ProxyMode::Http) {
            const int line = frontend.mode.value == ProxyMode::Http ? frontend.mode.line
                                                                    : backend->mode.line;
            out_.warning(line > 0 ? line : frontend.line,
                         proxy_label(frontend) +
                             " is in mode http: lb is a TCP (layer 4) balancer, its connections "
                             "are forwarded as they are, without HTTP processing (headers, "
                             "rules, ACLs, HTTP logs)");
        }
        ProxyProtocol proxy_protocol = pair.primary->options.send_proxy;
        if (pair.standby->options.send_proxy != proxy_protocol)
            out_.warning(pair.standby->line,
                         "server " + pair.standby->name + " and server " + pair.primary->name +
                             " differ in send-proxy; lb sends the same to both sites: " +
                             to_string(proxy_protocol) + ", as to the primary");
        std::size_t index = 0;
        for (const Bind& bind : frontend.binds) {
            for (const SocketAddress& address : bind.addresses) {
                Config& config = result_.config;
                const auto taken =
                    std::find_if(config.listeners.begin(), config.listeners.end(),
                                 [&](const Listener& l) { return l.bind == address; });
                if (taken != config.listeners.end()) {
                    out_.warning(bind.line, "bind " + address.to_string() + ": listener " +
                                                taken->name + " binds it already; not converted");
                    continue;
                }
                Listener listener;
                // Named after the backend: the runtime API commands scripts send (`disable server
                // BACKEND/SERVER`, `set server ... state`) name it, and lb answers them by listener.
                listener.name = unique_listener_name(to_lb_name(backend->name));
                listener.bind = address;
                listener.target_port = pair.primary->port.value_or(address.port());
                listener.proxy_protocol = proxy_protocol;
                listener.accept_proxy = bind.accept_proxy;
                const std::uint16_t standby_port = pair.standby->port.value_or(address.port());
                if (standby_port != listener.target_port)
                    config.sites[1].ports[listener.name] = standby_port;
                result_.listener_origins.push_back(
                    fmt::format("{} line {}, to {}", proxy_label(frontend), bind.line,
                                proxy_label(*backend)));
                config.listeners.push_back(std::move(listener));
                ++index;
            }
        }
        (void)index;
    }

    void make_sites(const Proxy& frontend, const Proxy& backend, const Pair& pair) {
        anchor_ = &backend;
        Config& config = result_.config;
        Site primary;
        primary.name = to_lb_name(pair.primary->name);
        primary.address = *pair.primary->address;
        primary.role = SiteRole::Primary;
        primary.health = health_of(backend, *pair.primary, out_);
        Site standby;
        standby.name = to_lb_name(pair.standby->name);
        if (standby.name == primary.name) standby.name += "-standby";
        standby.address = *pair.standby->address;
        standby.role = SiteRole::Standby;
        standby.health = health_of(backend, *pair.standby, out_);
        // A check port on one server only: the other site's is written out, or it would
        // inherit [health]'s.
        const std::uint16_t first_port = frontend.binds.front().addresses.front().port();
        anchor_check_ports_ = {check_port(*pair.primary, first_port),
                               check_port(*pair.standby, first_port)};
        if (primary.health.port != standby.health.port) {
            if (!primary.health.port) primary.health.port = pair.primary->port.value_or(first_port);
            if (!standby.health.port) standby.health.port = pair.standby->port.value_or(first_port);
        }
        config.health = primary.health;
        config.sites = {std::move(primary), std::move(standby)};
        result_.site_origins = {
            fmt::format("server {} of {}, line {}", pair.primary->name, proxy_label(backend),
                        pair.primary->line),
            fmt::format("server {} of {}, line {}", pair.standby->name, proxy_label(backend),
                        pair.standby->line)};
        out_.warning(pair.standby->line,
                     "server " + pair.standby->name +
                         " (backup): HAProxy moves traffic back to " + pair.primary->name +
                         " as soon as it is up again; lb stays on the standby until 'lb ctl "
                         "failback' (policy.failback = \"manual\", for sites whose databases are "
                         "switched back deliberately; \"auto\" moves back on its own)");
        convert_timeouts(frontend, backend);
        convert_policy(backend);
    }

    // The port HAProxy checks a server on: `port`, else the server's, else the client's.
    static std::uint16_t check_port(const Server& server, std::uint16_t bind_port) {
        return server.options.check_port.value_or(server.port.value_or(bind_port));
    }

    // lb checks each site one way for all its listeners (the first converted backend's): a later
    // backend that checks the same servers otherwise is told what lb does not see.
    void check_health(const Proxy& frontend, const Proxy& backend, const Pair& pair) {
        if (&backend == anchor_ || frontend.binds.empty() ||
            frontend.binds.front().addresses.empty())
            return;
        const std::uint16_t bind_port = frontend.binds.front().addresses.front().port();
        const Server* servers[] = {pair.primary, pair.standby};
        for (std::size_t i = 0; i < 2; ++i) {
            ImportDiagnostics quiet;  // its own warnings were the anchor's to give
            const HealthSettings mine = health_of(backend, *servers[i], quiet);
            const HealthSettings& kept = result_.config.sites[i].health;
            const std::uint16_t port = check_port(*servers[i], bind_port);
            const bool same = mine.kind == kept.kind && port == anchor_check_ports_[i] &&
                              mine.proxy_protocol == kept.proxy_protocol &&
                              (mine.kind == CheckKind::Tcp ||
                               (mine.path == kept.path && mine.host == kept.host &&
                                mine.expect_status == kept.expect_status &&
                                mine.expect_body == kept.expect_body));
            if (same || !checked_backends_.insert({&backend, i}).second) continue;
            out_.warning(servers[i]->line,
                         "server " + servers[i]->name + " of " + proxy_label(backend) +
                             " is checked otherwise (" + to_string(mine.kind) + " on port " +
                             std::to_string(port) + ") than by " + proxy_label(*anchor_) + " (" +
                             to_string(kept.kind) + " on port " +
                             std::to_string(anchor_check_ports_[i]) +
                             "); lb checks each site one way for all its listeners, " +
                             proxy_label(*anchor_) + "'s: a failure this check alone would see "
                             "does not fail the site over");
        }
    }

    // `out`: where its warnings go (a scratch one when only comparing).
    HealthSettings health_of(const Proxy& backend, const Server& server, ImportDiagnostics& out) {
        HealthSettings health;
        const HealthCheck& check = backend.check;
        const ServerOptions& options = server.options;
        if (check.type == CheckType::Http) {
            health.kind = options.check_ssl ? CheckKind::Https : CheckKind::Http;
            if (!check.uri.empty() && check.uri.front() == '/')
                health.path = check.uri;
            else
                out.warning(check.line, "health check URI " + check.uri +
                                             " does not start with '/'; lb checks \"/\"");
            if (!check.host.empty())
                health.host = check.host;
            else if (!options.check_sni.empty())
                health.host = options.check_sni;
            if (check.expect_status) health.expect_status = check.expect_status->value;
            if (check.expect_body) health.expect_body = check.expect_body->value;
            if (health.kind == CheckKind::Https && options.verify == "required") {
                if (!options.ca_file.empty()) {
                    health.verify = TlsVerify::Ca;
                    health.ca_file = options.ca_file;
                } else {
                    out.warning(server.line,
                                 "server " + server.name +
                                     ": verify required without ca-file; lb checks without "
                                     "verifying (set health.verify = \"ca\" and ca_file)");
                }
            }
        } else {
            health.kind = CheckKind::Tcp;
            if (options.check_ssl)
                out.warning(server.line, "server " + server.name +
                                              ": check-ssl without option httpchk; lb checks "
                                              "with a TCP connect");
        }
        if (!options.check)
            out.warning(server.line, "server " + server.name +
                                          " has no 'check': HAProxy never checks it; lb checks "
                                          "every site (" +
                                          to_string(health.kind) + ")");
        health.interval = options.inter.value_or(kHaproxyInter);
        if (health.interval < Duration(2)) {
            out.warning(server.line, "server " + server.name + ": inter " +
                                          format_duration(health.interval) +
                                          ": lb needs a check timeout shorter than the "
                                          "interval; interval 2ms");
            health.interval = Duration(2);
        }
        // HAProxy bounds a check's connect by min(timeout connect, inter), then its read by
        // timeout check (or inter); lb has one timeout, shorter than the interval.
        Duration timeout = health.interval;
        if (backend.timeout_check)
            timeout = backend.timeout_check->value;
        else if (backend.timeout_connect)
            timeout = std::min(backend.timeout_connect->value, health.interval);
        if (timeout >= health.interval) {
            const Duration shorter = std::max(Duration(1), health.interval * 3 / 4);
            if (backend.timeout_check && health.interval > Duration(1))
                out.warning(backend.timeout_check->line,
                             "timeout check " + format_duration(timeout) +
                                 " is not shorter than inter " + format_duration(health.interval) +
                                 ": lb starts a check every interval, so its timeout is " +
                                 format_duration(shorter));
            timeout = shorter;
        }
        health.timeout = timeout;
        health.rise = options.rise.value_or(kHaproxyRise);
        health.fall = options.fall.value_or(kHaproxyFall);
        if (options.check_port) health.port = *options.check_port;
        // HAProxy sends the server's PROXY header before each check too when the check goes to
        // the traffic port (no `port`), and always with check-send-proxy (v1 unless the server
        // sends v2): a gateway that expects the header would refuse checks without it.
        if (options.check_send_proxy ||
            (options.send_proxy != ProxyProtocol::None && !options.check_port))
            health.proxy_protocol = options.send_proxy != ProxyProtocol::None ? options.send_proxy
                                                                               : ProxyProtocol::V1;
        return health;
    }

    // The connect and idle timeouts a frontend and its backend give lb (unset: lb's default).
    struct TimeoutChoice {
        std::optional<Duration> connect;
        std::optional<Duration> idle;
        bool operator==(const TimeoutChoice&) const = default;
    };
    static TimeoutChoice timeouts_of(const Proxy& frontend, const Proxy& backend) {
        TimeoutChoice choice;
        if (backend.timeout_connect) choice.connect = backend.timeout_connect->value;
        const auto& tunnel = backend.timeout_tunnel ? backend.timeout_tunnel : frontend.timeout_tunnel;
        const auto& client = frontend.timeout_client;
        const auto& server = backend.timeout_server;
        if (tunnel)
            choice.idle = tunnel->value;
        else if (client && server)
            choice.idle = std::max(client->value, server->value);
        else if (client || server)
            choice.idle = (client ? client : server)->value;
        return choice;
    }

    void convert_timeouts(const Proxy& frontend, const Proxy& backend) {
        first_timeouts_ = timeouts_of(frontend, backend);
        Timeouts& timeouts = result_.config.timeouts;
        if (first_timeouts_.connect) timeouts.connect = *first_timeouts_.connect;
        if (first_timeouts_.idle) timeouts.idle = *first_timeouts_.idle;
        const auto& client = frontend.timeout_client;
        const auto& server = backend.timeout_server;
        const bool tunnel = backend.timeout_tunnel || frontend.timeout_tunnel;
        if (!tunnel && client && server && client->value != server->value)
            out_.warning(std::max(client->line, server->line),
                         "timeout client " + format_duration(client->value) +
                             " and timeout server " + format_duration(server->value) +
                             ": lb has one idle timeout for both directions; the longer, " +
                             format_duration(timeouts.idle) + ", is used");
    }

    // lb has one set of timeouts: a later frontend whose own differ is told which ones it gets.
    void check_timeouts(const Proxy& frontend, const Proxy& backend) {
        if (timeouts_of(frontend, backend) == first_timeouts_) return;
        const Timeouts& used = result_.config.timeouts;
        out_.warning(frontend.line,
                     proxy_label(frontend) + " (with " + proxy_label(backend) +
                         ") has other timeouts than " + anchor_label_ +
                         "; lb has one connect and one idle timeout for every listener: " +
                         anchor_label_ + "'s are used (connect " +
                         format_duration(used.connect) + ", idle " + format_duration(used.idle) +
                         ")");
    }

    void convert_policy(const Proxy& backend) {
        const bool redispatch = backend.redispatch && backend.redispatch->value;
        const bool retries = !backend.retries || backend.retries->value > 0;
        result_.config.policy.retry_on_standby = redispatch && retries;
    }

    void warn_unused_backends() {
        for (const Proxy& proxy : model_.proxies)
            if (proxy.kind == ProxyKind::Backend && !used_backends_.contains(&proxy))
                out_.warning(proxy.line, proxy_label(proxy) +
                                             " is used by no converted frontend; not converted");
    }

    const Model& model_;
    ImportDiagnostics& out_;
    Imported result_;
    std::map<std::string, const Proxy*> backends_;
    std::set<const Proxy*> used_backends_;
    std::set<const Proxy*> reported_pairs_;
    std::set<std::string> listener_names_;
    const Proxy* anchor_ = nullptr;
    std::string anchor_label_;  // the frontend whose backend made the sites and the timeouts
    TimeoutChoice first_timeouts_;
    std::array<std::uint16_t, 2> anchor_check_ports_{};  // the ports lb's checks of the sites use
    std::set<std::pair<const Proxy*, std::size_t>> checked_backends_;  // warned once per server
    int frontends_with_binds_ = 0;
    bool pair_found_ = false;
};

}  // namespace

std::optional<Imported> convert(const Model& model, ImportDiagnostics& out) {
    return Converter(model, out).run();
}

}  // namespace lb::config::haproxy
