// The arbiter's file (`lb arbiter -c arbiter.toml`): [arbiter] plus the [admin] and [metrics]
// tables lb.toml has. Every problem goes to `out` with file:line:col and key; the result is
// nullopt when there is at least one error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/duration.h"
#include "config/socket_address.h"

namespace lb::config {

struct ArbiterConfig {
    std::string source_path;
    SocketAddress bind;                // where instances' lease requests arrive
    std::string key_file;              // the pair's key
    std::vector<std::string> members;  // the two instance ids it votes between
    Duration lease = std::chrono::milliseconds(600);  // 3 × the default advert_interval
    std::string state_file = "/var/lib/lb/arbiter-state.json";  // the newest decision seen
    Admin admin{"/run/lb/arbiter.sock"};
    Metrics metrics{SocketAddress::parse_endpoint("127.0.0.1:9101")};
};

[[nodiscard]] std::optional<ArbiterConfig> load_arbiter_config(const std::string& path,
                                                               Diagnostics& out);
// `path` only names the source in diagnostics.
[[nodiscard]] std::optional<ArbiterConfig> load_arbiter_config_from_string(
    std::string_view text, const std::string& path, Diagnostics& out);
// Whether the TOML text has an [arbiter] table: `lb check` tells the two files apart by it.
[[nodiscard]] bool is_arbiter_config(std::string_view text);

}  // namespace lb::config
