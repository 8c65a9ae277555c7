// One line per finished connection, in the spirit of HAProxy's tcplog:
//   CLIENT [DD/Mon/YYYY:HH:MM:SS.mmm] LISTENER SITE Tc/Tt TO_CLIENT/TO_SITE TERM ACTCONN RETRIES
//   127.0.0.1:53422 [25/Nov/2026:08:01:23.123] https site-a 2/5003 1234/5678 -- 1 0
// Tc is -1 when the site never answered; TERM is tcplog_code(). Or one JSON object with the
// same fields (log_format = "json").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "lb/proxy/termination.h"

namespace lb {

struct ConnectionRecord {
    std::optional<SocketAddress> client;
    std::chrono::system_clock::time_point accepted;
    std::string_view listener;
    std::string_view site;  // "-" when none was chosen
    std::optional<std::uint64_t> connect_ms;
    std::uint64_t total_ms = 0;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t bytes_to_site = 0;
    Termination termination;
    std::uint64_t active_connections = 0;
    int retries = 0;
};

[[nodiscard]] std::string format_tcplog(const ConnectionRecord& record);
[[nodiscard]] std::string format_json_log(const ConnectionRecord& record);
// Empty for LogFormat::None.
[[nodiscard]] std::string format_connection(config::LogFormat format,
                                            const ConnectionRecord& record);

}  // namespace lb
