// What one site's active check talks to and what it expects, resolved from the config's
// HealthSettings once (status ranges parsed), so a probe only reads plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "config/duration.h"
#include "config/socket_address.h"
#include "health/status_ranges.h"

namespace lb::health {

struct CheckTarget {
    SocketAddress address;  // the site's address with the check port
    config::CheckKind kind = config::CheckKind::Tcp;
    std::string path = "/";
    std::string host;                           // Host header, and SNI/verify name for https
    std::string expect_status = "200-399";      // as written, for messages
    std::optional<StatusRanges> status_ranges;  // nullopt: expect_status is invalid
    std::string expect_body;
    config::TlsVerify verify = config::TlsVerify::None;
    std::string ca_file;
    Duration timeout{500};
    config::ProxyProtocol proxy_protocol = config::ProxyProtocol::None;  // LOCAL header first

    [[nodiscard]] static CheckTarget from_settings(const config::HealthSettings& settings,
                                                   const SocketAddress& address_with_port);

    // "tcp 10.0.0.11:443", "http 10.0.0.11:80 gateway/health", for status output.
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const CheckTarget&, const CheckTarget&) = default;
};

}  // namespace lb::health
