#include "config/haproxy/values.h"

#include <array>
#include <limits>

namespace lb::config::haproxy {
namespace {

constexpr long long kMaxTimeMs = std::numeric_limits<std::int32_t>::max();

bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (const char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

// What follows an address's ':' in a bind or server line.
Parsed<std::uint16_t> parse_port(std::string_view text) {
    if (text.find('-') != std::string_view::npos && text.front() != '-')
        return "port range " + std::string(text) + ": lb binds and connects to one port, not a range";
    if (!text.empty() && (text.front() == '+' || text.front() == '-'))
        return "port offset " + std::string(text) +
               ": lb has no ports relative to the client's; write the port";
    const auto port = parse_integer(text, 1, 65535);
    if (!port) return "invalid port \"" + std::string(text) + "\" (1..65535)";
    return static_cast<std::uint16_t>(*port);
}

struct Split {
    std::string_view host;
    std::optional<std::string_view> port;  // after the last ':' (outside brackets)
    bool bracketed = false;
};

std::optional<Split> split_host_port(std::string_view text) {
    Split out;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        out.host = text.substr(1, close - 1);
        out.bracketed = true;
        const std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return out;
        if (rest.front() != ':') return std::nullopt;
        out.port = rest.substr(1);
        return out;
    }
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        out.host = text;
        return out;
    }
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
    return out;
}

// "ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@": a TCP address; 4 or 6 when the prefix says so.
// Other prefixes (unix@, abns@, fd@, udp@, quic4@, ...) and paths are not TCP over IP.
struct Prefix {
    std::string_view rest;
    int family = 0;  // 0: as written, 4 or 6
    std::string error;
};

Prefix strip_prefix(std::string_view text) {
    Prefix out{text, 0, {}};
    if (!text.empty() && text.front() == '/') {
        out.error = "Unix socket " + std::string(text) + ": lb listens on and connects to TCP over IP only";
        return out;
    }
    const auto at = text.find('@');
    if (at == std::string_view::npos) return out;
    const std::string_view prefix = text.substr(0, at);
    out.rest = text.substr(at + 1);
    if (prefix == "ipv4" || prefix == "tcp4")
        out.family = 4;
    else if (prefix == "ipv6" || prefix == "tcp6")
        out.family = 6;
    else if (prefix != "tcp")
        out.error = "address family " + std::string(prefix) + "@ (" + std::string(text) +
                    "): lb listens on and connects to TCP over IP only";
    return out;
}

}  // namespace

std::optional<long long> parse_integer(std::string_view text, long long min, long long max) {
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (!all_digits(text) || text.size() > 18) return std::nullopt;
    long long value = 0;
    for (const char c : text) value = value * 10 + (c - '0');
    if (negative) value = -value;
    if (value < min || value > max) return std::nullopt;
    return value;
}

std::optional<Duration> parse_time(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15) return std::nullopt;
    long long value = 0;
    for (std::size_t i = 0; i < digits; ++i) value = value * 10 + (text[i] - '0');
    const std::string_view unit = text.substr(digits);
    if (unit == "us") {
        const long long ms = (value + 999) / 1000;
        if (ms > kMaxTimeMs) return std::nullopt;
        return Duration(static_cast<Duration::rep>(ms));
    }
    long long per_unit = 0;  // milliseconds
    if (unit.empty() || unit == "ms")
        per_unit = 1;
    else if (unit == "s")
        per_unit = 1000;
    else if (unit == "m")
        per_unit = 60'000;
    else if (unit == "h")
        per_unit = 3'600'000;
    else if (unit == "d")
        per_unit = 86'400'000;
    else
        return std::nullopt;
    if (value > kMaxTimeMs / per_unit) return std::nullopt;  // checked before it can overflow
    return Duration(static_cast<Duration::rep>(value * per_unit));
}

Parsed<SocketAddress> parse_bind_address(std::string_view text) {
    const Prefix prefix = strip_prefix(text);
    if (!prefix.error.empty()) return prefix.error;
    const auto split = split_host_port(prefix.rest);
    if (!split) return "invalid address " + std::string(text);
    if (!split->port) return "address " + std::string(text) + " has no port";
    const auto port = parse_port(*split->port);
    if (const auto* why = std::get_if<std::string>(&port)) return *why;
    std::string host(split->host);
    if (host.empty() || host == "*") host = prefix.family == 6 ? "::" : "0.0.0.0";
    const auto ip = SocketAddress::parse_ip(host);
    if (!ip)
        return "\"" + host + "\" in " + std::string(text) +
               " is not a literal IP address (lb does not resolve names)";
    if ((prefix.family == 4 && ip->is_v6()) || (prefix.family == 6 && !ip->is_v6()))
        return "address " + std::string(text) + " does not match its prefix";
    return ip->with_port(std::get<std::uint16_t>(port));
}

Parsed<ServerAddress> parse_server_address(std::string_view text) {
    const Prefix prefix = strip_prefix(text);
    if (!prefix.error.empty()) return prefix.error;
    const auto split = split_host_port(prefix.rest);
    if (!split) return "invalid address " + std::string(text);
    ServerAddress out;
    auto ip = SocketAddress::parse_ip(split->host);
    std::optional<std::string_view> port = split->port;
    // "fd00::1" without brackets or port: the last ':' was part of the address.
    if (!ip && !split->bracketed && SocketAddress::parse_ip(prefix.rest)) {
        ip = SocketAddress::parse_ip(prefix.rest);
        port.reset();
    }
    if (!ip)
        return "\"" + std::string(split->host) +
               "\" is not a literal IP address (lb connects to addresses, it does not resolve "
               "names)";
    if ((prefix.family == 4 && ip->is_v6()) || (prefix.family == 6 && !ip->is_v6()))
        return "address " + std::string(text) + " does not match its prefix";
    out.ip = *ip;
    if (port && !port->empty()) {
        const auto parsed = parse_port(*port);
        if (const auto* why = std::get_if<std::string>(&parsed)) return *why;
        out.port = std::get<std::uint16_t>(parsed);
    }
    return out;
}

std::string to_lb_name(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out += ok ? c : '-';
    }
    return out.empty() ? "unnamed" : out;
}

}  // namespace lb::config::haproxy
