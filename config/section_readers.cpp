#include "config/section_readers.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace lb::config {

void read_name(TableReader& r, std::string_view key, std::string& target) {
    if (!r.require(key)) return;
    const auto name = r.string(key);
    if (!name) return;
    target = *name;
    const bool ok = !name->empty() && std::all_of(name->begin(), name->end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
    if (!ok) r.error(key, "must be letters, digits, '-', '_' or '.', got " + quoted(*name));
}

void read_path(TableReader& r, std::string_view key, std::string& target) {
    const auto path = r.string(key);
    if (!path) return;
    target = *path;
    if (path->empty()) r.error(key, "must not be empty");
}

void read_admin(TableReader& r, Admin& admin) {
    read_path(r, "socket", admin.socket);
    const auto mode = r.string("mode", R"(an octal mode string such as "0660")");
    if (!mode) return;
    const bool octal = !mode->empty() && mode->size() <= 4 &&
                       mode->find_first_not_of("01234567") == std::string::npos;
    if (!octal) {
        r.error("mode",
                R"(expected an octal mode string such as "0660", got string )" + quoted(*mode));
        return;
    }
    admin.mode = static_cast<unsigned>(std::stoul(*mode, nullptr, 8));
}

void read_metrics(TableReader& r, Metrics& metrics) {
    if (auto allow = r.boolean("allow_remote")) metrics.allow_remote = *allow;
    if (r.empty_string("listen")) {
        metrics.listen.reset();  // "" turns the HTTP endpoint off
        return;
    }
    if (auto listen = r.endpoint("listen")) {
        metrics.listen = *listen;
        // /metrics, the status page and /status.json answer anyone who reaches them: serving
        // them beyond this host is a choice the file must state.
        if (!listen->is_loopback() && !metrics.allow_remote)
            r.error("listen",
                    fmt::format("{} is reachable from other hosts, and the metrics, the status "
                                "page and /status.json need no password: use a loopback "
                                "address, or set allow_remote = true to serve them there",
                                listen->to_string()));
    }
}

}  // namespace lb::config
