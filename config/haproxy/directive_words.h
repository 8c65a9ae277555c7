// The vocabulary the readers of haproxy.cfg's sections share: how a directive is quoted in a
// message, why lb ignores the directives it has no equivalent for, and which `bind` options take
// a value (so the value is not read as an option).
#pragma once

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>

#include "config/haproxy/document.h"

namespace lb::config::haproxy {

inline constexpr int kIntMax = std::numeric_limits<int>::max();

// `text` in single quotes, as messages quote a directive.
[[nodiscard]] std::string quoted(std::string_view text);

// Options of `bind` lines (and `stats socket`) that take a value.
inline constexpr std::string_view kBindOptionsWithValue[] = {"alpn",
                                                             "backlog",
                                                             "ca-file",
                                                             "ca-ignore-err",
                                                             "ca-sign-file",
                                                             "ca-sign-pass",
                                                             "ciphers",
                                                             "ciphersuites",
                                                             "crl-file",
                                                             "crt",
                                                             "crt-ignore-err",
                                                             "crt-list",
                                                             "curves",
                                                             "ecdhe",
                                                             "gid",
                                                             "group",
                                                             "id",
                                                             "interface",
                                                             "level",
                                                             "maxconn",
                                                             "mode",
                                                             "mss",
                                                             "name",
                                                             "namespace",
                                                             "nice",
                                                             "npn",
                                                             "process",
                                                             "proto",
                                                             "severity-output",
                                                             "sigalgs",
                                                             "client-sigalgs",
                                                             "ssl-max-ver",
                                                             "ssl-min-ver",
                                                             "tcp-ut",
                                                             "thread",
                                                             "uid",
                                                             "user",
                                                             "verify",
                                                             "quic-cc-algo",
                                                             "label"};

template <std::size_t N>
[[nodiscard]] bool contains(const std::string_view (&list)[N], std::string_view word) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// Why a directive lb cannot honour is ignored, for the common ones; "" for the generic message.
[[nodiscard]] std::string reason_for(std::string_view keyword);
// "'DIRECTIVE': REASON; ignored" for `d`, whose keyword (for the reason) is `keyword`.
[[nodiscard]] std::string ignored(const Directive& d, std::string_view keyword);

}  // namespace lb::config::haproxy
