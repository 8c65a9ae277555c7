// Config as an operator reads it back: the TOML spelling of each enum (the inverse of what
// load_config accepts) and the short summary `lb check` prints.
#include "config/config.h"

#include <fmt/format.h>

#include "config/load_config.h"

namespace lb::config {

const char* to_string(LogFormat v) {
    switch (v) {
        case LogFormat::Tcplog:
            return "tcplog";
        case LogFormat::Json:
            return "json";
        case LogFormat::None:
            return "none";
    }
    return "?";
}

const char* to_string(SiteRole v) {
    switch (v) {
        case SiteRole::Primary:
            return "primary";
        case SiteRole::Standby:
            return "standby";
    }
    return "?";
}

const char* to_string(CheckKind v) {
    switch (v) {
        case CheckKind::Tcp:
            return "tcp";
        case CheckKind::Http:
            return "http";
        case CheckKind::Https:
            return "https";
    }
    return "?";
}

const char* to_string(TlsVerify v) {
    switch (v) {
        case TlsVerify::None:
            return "none";
        case TlsVerify::Ca:
            return "ca";
    }
    return "?";
}

const char* to_string(Failback v) {
    switch (v) {
        case Failback::Manual:
            return "manual";
        case Failback::Auto:
            return "auto";
    }
    return "?";
}

const char* to_string(ProxyProtocol v) {
    switch (v) {
        case ProxyProtocol::None:
            return "none";
        case ProxyProtocol::V1:
            return "v1";
        case ProxyProtocol::V2:
            return "v2";
    }
    return "?";
}

namespace {

// "http :443 GET / (Host gateway, expect 200-399), every 1s, timeout 500ms, rise 2, fall 3"
std::string describe_health(const HealthSettings& h, const Config& config) {
    std::string port = "-";
    if (h.port)
        port = std::to_string(*h.port);
    else if (!config.listeners.empty())
        port = std::to_string(config.listeners.front().target_port);
    std::string what = fmt::format("{} :{}", to_string(h.kind), port);
    if (h.kind != CheckKind::Tcp) {
        what += fmt::format(" GET {} (Host {}, expect {}", h.path, h.host, h.expect_status);
        if (!h.expect_body.empty()) what += fmt::format(", body contains \"{}\"", h.expect_body);
        if (h.kind == CheckKind::Https)
            what += fmt::format(", verify {}", h.verify == TlsVerify::Ca ? h.ca_file : "none");
        what += ")";
    }
    return fmt::format("{}, every {}, timeout {}, rise {}, fall {} (passive: {} in a row over {})",
                       what, format_duration(h.interval), format_duration(h.timeout), h.rise,
                       h.fall, h.fall, format_duration(h.passive_window));
}

}  // namespace

std::string summarize(const Config& config) {
    std::string out = fmt::format("config {}\n", config.source_path);
    out += "sites:\n";
    for (const Site& site : config.sites) {
        out += fmt::format("  {:<12} {:<8} {}", site.name, to_string(site.role),
                           site.address.ip_string());
        for (const auto& [listener, port] : site.ports)
            out += fmt::format("  ({} → port {})", listener, port);
        out += "\n";
    }
    out += "listeners:\n";
    for (const Listener& l : config.listeners) {
        out += fmt::format("  {:<12} {} → port {}", l.name, l.bind.to_string(), l.target_port);
        if (l.proxy_protocol != ProxyProtocol::None)
            out += fmt::format(", proxy protocol {}", to_string(l.proxy_protocol));
        if (l.accept_proxy) out += ", accepts PROXY";
        out += "\n";
    }
    const std::string health = describe_health(config.health, config);
    out += fmt::format("health: {}\n", health);
    for (const Site& site : config.sites)
        if (const auto own = describe_health(site.health, config); own != health)
            out += fmt::format("  {}: {}\n", site.name, own);
    out += fmt::format("policy: failback {}", to_string(config.policy.failback));
    if (config.policy.failback == Failback::Auto)
        out += fmt::format(" after {}", format_duration(config.policy.failback_after));
    out += fmt::format(", retry on standby {}\n", config.policy.retry_on_standby ? "yes" : "no");
    if (config.peer) {
        const Peer& peer = config.peer.value();
        std::string peers;
        for (const auto& address : peer.peers)
            peers += (peers.empty() ? "" : ", ") + address.to_string();
        out += fmt::format("peer: {} priority {}, adverts every {} to {}", peer.id, peer.priority,
                           format_duration(peer.advert_interval), peers);
        if (!peer.vip.empty()) out += fmt::format(", vip {} on {}", peer.vip, peer.interface);
        out += "\n";
    } else {
        out += "peer: none (single instance)\n";
    }
    return out;
}

}  // namespace lb::config
