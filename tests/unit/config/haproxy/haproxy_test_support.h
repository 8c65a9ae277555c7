// Helpers for the `lb import-haproxy` tests: run the import on a haproxy.cfg text (named
// "haproxy.cfg" in diagnostics) with a given environment, load the TOML it wrote with lb's own
// loader, and split what was reported.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/haproxy/import_haproxy.h"
#include "config/load_config.h"

namespace lb::config::haproxy::testing {

inline Environment environment(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string(name));
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

struct Imported {
    std::optional<std::string> toml;
    std::optional<Config> config;            // the TOML as lb loads it
    std::vector<std::string> warnings;       // "haproxy.cfg:LINE: warning: ..."
    std::vector<std::string> errors;         // "haproxy.cfg[:LINE]: error: ..."
    std::vector<std::string> check_problems;  // what lb's loader said of the TOML
    std::string report;                      // everything, for INFO()
};

inline Imported run_import(std::string_view cfg, std::map<std::string, std::string> vars = {}) {
    Imported out;
    const ImportResult result = import_haproxy(cfg, "haproxy.cfg", environment(std::move(vars)));
    for (const auto& item : result.diagnostics.all())
        (item.severity == ImportDiagnostic::Severity::Error ? out.errors : out.warnings)
            .push_back(item.to_string("haproxy.cfg"));
    out.report = result.diagnostics.to_string("haproxy.cfg");
    out.toml = result.toml;
    if (out.toml) {
        Diagnostics check;
        out.config = load_config_from_string(*out.toml, "lb.toml", check);
        for (const auto& item : check.all()) out.check_problems.push_back(item.to_string());
        out.report += "--- lb.toml ---\n" + *out.toml + "--- lb check ---\n" + check.to_string();
    }
    return out;
}

// Whether one of `lines` contains every one of `parts`.
inline bool any_has(const std::vector<std::string>& lines,
                    std::initializer_list<std::string_view> parts) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
        return std::all_of(parts.begin(), parts.end(), [&](std::string_view part) {
            return line.find(part) != std::string::npos;
        });
    });
}

// A frontend/backend pair around `backend_body`, for tests of one directive's mapping.
inline std::string with_backend(std::string_view backend_body,
                                std::string_view frontend_body = "    bind :443\n") {
    return "frontend web\n" + std::string(frontend_body) +
           "    default_backend app\n"
           "backend app\n" +
           std::string(backend_body);
}

inline constexpr std::string_view kTwoServers =
    "    server site-a 10.0.1.10:443 check\n"
    "    server site-b 10.0.2.10:443 check backup\n";

}  // namespace lb::config::haproxy::testing
