// Why a connection failed, as the `reason` label of lb_connection_errors_total. A type from the
// data path's count to the exposition: the data path records the enum, only the exposition turns
// it into text. Header-only and free of prometheus-cpp, so the data path may include it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace lb::metrics {

enum class ConnectionError { ConnectRefused, ConnectTimeout, Reset, Limit, ProxyHeader };
inline constexpr std::size_t kConnectionErrorCount = 5;
inline constexpr std::array<ConnectionError, kConnectionErrorCount> kConnectionErrors = {
    ConnectionError::ConnectRefused, ConnectionError::ConnectTimeout, ConnectionError::Reset,
    ConnectionError::Limit, ConnectionError::ProxyHeader};

// The documented label: connect_refused | connect_timeout | reset | limit | proxy_header.
[[nodiscard]] constexpr std::string_view to_string(ConnectionError reason) {
    switch (reason) {
        case ConnectionError::ConnectRefused:
            return "connect_refused";
        case ConnectionError::ConnectTimeout:
            return "connect_timeout";
        case ConnectionError::Reset:
            return "reset";
        case ConnectionError::Limit:
            return "limit";
        case ConnectionError::ProxyHeader:
            return "proxy_header";
    }
    return "reset";
}

}  // namespace lb::metrics
