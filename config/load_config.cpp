// lb.toml → Config in two passes: one TableReader per table checks types and ranges (each key
// read here is a key of docs/configuration.md), then validate() checks the rules that span tables. Every
// problem is reported; the Config is returned only when there is none.
#include "config/load_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "config/section_readers.h"
#include "config/source_map.h"
#include "config/table_reader.h"
#include "config/toml_document.h"
#include "config/validate.h"
#include "health/status_ranges.h"

namespace lb::config {
namespace {

constexpr int kIntMax = std::numeric_limits<int>::max();

// "10.0.0.100/24", "fd00::100/64".
bool is_prefix(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return false;
    const auto address = SocketAddress::parse_ip(text.substr(0, slash));
    const std::string_view bits = text.substr(slash + 1);
    if (!address || bits.empty() || bits.size() > 3) return false;
    int value = 0;
    for (const char c : bits) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return value <= (address->is_v6() ? 128 : 32);
}

void read_global(TableReader& r, Global& global) {
    set(global.workers, r.int_in("workers", 0, 1024));
    set(global.max_connections, r.int_in("max_connections", 1, kIntMax));
    set(global.splice, r.boolean("splice"));
    read_path(r, "state_file", global.state_file);
    set(global.log_format, r.enumeration<LogFormat>("log_format", {{"tcplog", LogFormat::Tcplog},
                                                                   {"json", LogFormat::Json},
                                                                   {"none", LogFormat::None}}));
}

void read_timeouts(TableReader& r, Timeouts& timeouts) {
    set(timeouts.connect, r.duration("connect", Duration(1)));
    set(timeouts.idle, r.duration("idle", Duration(1)));
    set(timeouts.drain, r.duration("drain"));
}

// Used for [health] and for each [sites.health], which starts from [health]'s values.
std::optional<ProxyProtocol> read_proxy_protocol(TableReader& r) {
    return r.enumeration<ProxyProtocol>(
        "proxy_protocol",
        {{"none", ProxyProtocol::None}, {"v1", ProxyProtocol::V1}, {"v2", ProxyProtocol::V2}});
}

void read_health(TableReader& r, HealthSettings& health) {
    set(health.kind, r.enumeration<CheckKind>("kind", {{"tcp", CheckKind::Tcp},
                                                       {"http", CheckKind::Http},
                                                       {"https", CheckKind::Https}}));
    if (auto port = r.port("port")) health.port = *port;
    if (auto path = r.string("path")) {
        if (path->empty() || path->front() != '/')
            r.error("path", "must start with '/', got " + quoted(*path));
        else
            health.path = *path;
    }
    set(health.host, r.string("host"));
    if (auto status = r.string("expect_status")) {
        // The grammar the checks use (health/status_ranges), so what passes here is what runs.
        if (health::StatusRanges::parse(*status))
            health.expect_status = *status;
        else
            r.error("expect_status",
                    R"(expected status codes such as "200-399" or "200,301-302", got string )" +
                        quoted(*status));
    }
    set(health.expect_body, r.string("expect_body"));
    set(health.verify,
        r.enumeration<TlsVerify>("verify", {{"none", TlsVerify::None}, {"ca", TlsVerify::Ca}}));
    set(health.ca_file, r.string("ca_file"));
    set(health.interval, r.duration("interval", Duration(1)));
    set(health.timeout, r.duration("timeout", Duration(1)));
    set(health.rise, r.int_in("rise", 1, kIntMax));
    set(health.fall, r.int_in("fall", 1, kIntMax));
    set(health.passive_window, r.duration("passive_window"));
    set(health.proxy_protocol, read_proxy_protocol(r));
}

void read_policy(TableReader& r, Policy& policy) {
    set(policy.failback, r.enumeration<Failback>(
                             "failback", {{"manual", Failback::Manual}, {"auto", Failback::Auto}}));
    set(policy.failback_after, r.duration("failback_after"));
    set(policy.retry_on_standby, r.boolean("retry_on_standby"));
}

Site read_site(TableReader& r, const HealthSettings& defaults) {
    Site site;
    site.health = defaults;
    read_name(r, "name", site.name);
    if (r.require("address")) set(site.address, r.ip("address"));
    if (r.require("role"))
        set(site.role, r.enumeration<SiteRole>("role", {{"primary", SiteRole::Primary},
                                                        {"standby", SiteRole::Standby}}));
    if (auto ports = r.table("ports")) {
        for (const auto& listener : ports->remaining_keys())
            if (auto port = ports->port(listener)) site.ports[listener] = *port;
        ports->finish();
    }
    if (auto health = r.table("health")) {
        read_health(*health, site.health);
        health->finish();
    }
    return site;
}

Listener read_listener(TableReader& r) {
    Listener listener;
    read_name(r, "name", listener.name);
    if (r.require("bind")) set(listener.bind, r.endpoint("bind"));
    listener.target_port = listener.bind.port();
    set(listener.target_port, r.port("target_port"));
    set(listener.proxy_protocol, read_proxy_protocol(r));
    set(listener.accept_proxy, r.boolean("accept_proxy"));
    return listener;
}

Peer read_peer(TableReader& r) {
    Peer peer;
    read_name(r, "id", peer.id);
    read_name(r, "peer_id", peer.peer_id);
    set(peer.priority, r.int_in("priority", 1, 254));
    if (r.require("bind")) set(peer.bind, r.endpoint("bind"));
    if (r.require("peers")) {
        if (auto peers = r.endpoints("peers")) {
            if (peers->empty()) r.error("peers", "must list at least one peer address");
            peer.peers = std::move(*peers);
        }
    }
    set(peer.advert_interval, r.duration("advert_interval", Duration(1)));
    set(peer.preempt, r.boolean("preempt"));
    if (r.require("key_file")) read_path(r, "key_file", peer.key_file);
    if (auto vip = r.string("vip")) {
        if (is_prefix(*vip))
            peer.vip = *vip;
        else
            r.error("vip", R"(expected an address with a prefix length such as "10.0.0.100/24", )"
                           "got string " +
                               quoted(*vip));
    }
    set(peer.interface, r.string("interface"));
    set(peer.notify, r.string("notify"));
    if (auto track = r.strings("track")) {
        for (std::size_t i = 0; i < track->size(); ++i) {
            const std::string& target = (*track)[i];
            const bool ok = target.starts_with("tcp://") &&
                            SocketAddress::parse_endpoint(target.substr(6)).has_value();
            if (!ok)
                r.error("track", i,
                        R"(expected "tcp://ADDRESS:PORT" such as "tcp://10.0.0.50:27017", )"
                        "got string " +
                            quoted(target));
        }
        peer.track = *track;
    }
    if (auto arbiter = r.endpoint("arbiter")) {
        // Lease requests leave from bind's socket: one address family for both.
        if (arbiter->is_v6() != peer.bind.is_v6() && r.has("bind"))
            r.error("arbiter", "must be of the same address family as peer.bind (" +
                                   peer.bind.to_string() + "): requests leave from its socket");
        else
            peer.arbiter = *arbiter;
    }
    return peer;
}

// Copies `found` to `out` in file order (stable: one position keeps the order found), so
// `lb check` lists problems top to bottom whichever pass found them.
void report_in_file_order(const Diagnostics& found, Diagnostics& out) {
    std::vector<Diagnostic> items = found.all();
    std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
    });
    for (auto& item : items) {
        if (item.severity == Diagnostic::Severity::Error)
            out.error(std::move(item.where), std::move(item.key), std::move(item.message));
        else
            out.warning(std::move(item.where), std::move(item.key), std::move(item.message));
    }
}

std::optional<Config> load_document(const toml::table& document, const std::string& path,
                                    Diagnostics& out) {
    Diagnostics found;
    SourceMap where(path);
    Config config;
    config.source_path = path;
    TableReader root(document, "", where, found);

    // Order matters only where one table is the default for another: [health] before sites.
    const auto section = [&](std::string_view key, auto&& read) {
        if (auto table = root.table(key)) {
            read(*table);
            table->finish();
        }
    };
    section("global", [&](TableReader& r) { read_global(r, config.global); });
    section("admin", [&](TableReader& r) { read_admin(r, config.admin); });
    section("metrics", [&](TableReader& r) { read_metrics(r, config.metrics); });
    section("timeouts", [&](TableReader& r) { read_timeouts(r, config.timeouts); });
    section("health", [&](TableReader& r) { read_health(r, config.health); });
    section("policy", [&](TableReader& r) { read_policy(r, config.policy); });
    for (auto& table : root.tables("sites")) {
        config.sites.push_back(read_site(table, config.health));
        table.finish();
    }
    for (auto& table : root.tables("listeners")) {
        config.listeners.push_back(read_listener(table));
        table.finish();
    }
    section("peer", [&](TableReader& r) { config.peer = read_peer(r); });
    root.finish();

    validate(config, where, found);
    report_in_file_order(found, out);
    if (found.has_errors()) return std::nullopt;
    return config;
}

}  // namespace

std::optional<Config> load_config_from_string(std::string_view text, const std::string& path,
                                              Diagnostics& out) {
    const auto document = parse_document(text, path, out);
    if (!document) return std::nullopt;
    return load_document(*document, path, out);
}

std::optional<Config> load_config(const std::string& path, Diagnostics& out) {
    const auto text = read_config_text(path, out);
    if (!text) return std::nullopt;
    return load_config_from_string(*text, path, out);
}

}  // namespace lb::config
