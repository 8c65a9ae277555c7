// HAProxy's value formats: times ("5s", a bare number is milliseconds), integers, and the
// address syntax of `bind` and `server` lines ("*:80", ":80", "[::]:443", ":::443", "ipv6@::1:80",
// "10.0.0.1", "[fd00::1]:8080"), each read into lb's types or refused with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/duration.h"
#include "config/socket_address.h"

namespace lb::config::haproxy {

// "100us" (rounded up to whole ms), "250ms", "2s", "5m", "1h", "1d", "1500" (ms). nullopt for
// anything else or more than HAProxy's maximum (2^31-1 ms).
[[nodiscard]] std::optional<Duration> parse_time(std::string_view text);

// A decimal integer in [min, max]; nullopt otherwise.
[[nodiscard]] std::optional<long long> parse_integer(std::string_view text, long long min,
                                                     long long max);

// A value or the reason it cannot be used ("port range 8000-8010: ...").
template <typename T>
using Parsed = std::variant<T, std::string>;

// One address of a `bind` line (a comma-separated list is split by the caller). "*" and an empty
// host are 0.0.0.0 ("::" after "ipv6@").
[[nodiscard]] Parsed<SocketAddress> parse_bind_address(std::string_view text);

// A `server` line's address: a literal IP and, when given, a port (absent: HAProxy uses the port
// the client connected to).
struct ServerAddress {
    SocketAddress ip;  // port 0
    std::optional<std::uint16_t> port;
};
[[nodiscard]] Parsed<ServerAddress> parse_server_address(std::string_view text);

// `text` as an lb name (letters, digits, '-', '_', '.'): any other character becomes '-'; ""
// becomes "unnamed".
[[nodiscard]] std::string to_lb_name(std::string_view text);

}  // namespace lb::config::haproxy
