// Reads lb.toml into a validated Config. Every problem goes to `out` with file:line:col;
// the result is nullopt when there is at least one error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/diagnostic.h"

namespace lb::config {

[[nodiscard]] std::optional<Config> load_config(const std::string& path, Diagnostics& out);
// `path` only names the source in diagnostics.
[[nodiscard]] std::optional<Config> load_config_from_string(std::string_view text,
                                                            const std::string& path,
                                                            Diagnostics& out);
// A few lines for `lb check`: sites, listeners, health, policy.
[[nodiscard]] std::string summarize(const Config& config);

}  // namespace lb::config
