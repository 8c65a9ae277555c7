// Helpers for the config tests: load TOML text as "lb.toml" and split what was reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load_config.h"

namespace lb::config::testing {

// Two valid sites and one listener: the smallest config that loads.
inline constexpr std::string_view kSitesAndListener = R"(
[[sites]]
name = "site-a"
address = "10.0.0.11"
role = "primary"

[[sites]]
name = "site-b"
address = "10.0.0.12"
role = "standby"

[[listeners]]
name = "https"
bind = "0.0.0.0:443"
)";

struct Loaded {
    std::optional<Config> config;
    std::vector<std::string> errors;    // Diagnostic::to_string() of each error, in order
    std::vector<std::string> warnings;  // likewise for warnings
    std::string report;                 // everything, for INFO()
};

inline Loaded load(std::string_view text) {
    Diagnostics out;
    Loaded loaded;
    loaded.config = load_config_from_string(text, "lb.toml", out);
    for (const auto& item : out.all())
        (item.severity == Diagnostic::Severity::Error ? loaded.errors : loaded.warnings)
            .push_back(item.to_string());
    loaded.report = out.to_string();
    return loaded;
}

}  // namespace lb::config::testing
