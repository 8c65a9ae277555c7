// Text and JSON renderings of the Controller's snapshots for lb's own `show` commands. Every body
// ends with "\n" and contains no empty line (the empty line ends a reply on the admin socket).
// JSON keys mirror the struct fields of lb/admin/controller.h one to one (see README.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lb/admin/command_parser.h"
#include "lb/admin/controller.h"

namespace lb::admin {

[[nodiscard]] std::string format_status(const Status& status, Format format);
[[nodiscard]] std::string format_sites(const Status& status, Format format);
[[nodiscard]] std::string format_listeners(const Status& status, Format format);
// `show peer [json]`: the peer link (a single instance says so).
[[nodiscard]] std::string format_peer(const Status& status, Format format);
[[nodiscard]] std::string format_sessions(const std::vector<SessionInfo>& sessions, Format format);

// "3d 4h05m06s", as HAProxy's `show info` Uptime.
[[nodiscard]] std::string format_uptime(std::uint64_t seconds);
// "850ms", "4.2s", "5m03s", "2h05m", "3d04h": an age an operator reads at a glance.
[[nodiscard]] std::string format_age(std::uint64_t milliseconds);
// "bad_signature 2, replayed 1", or "none": counts by reason on one line.
[[nodiscard]] std::string format_counts(const std::map<std::string, std::uint64_t>& counts);
// "key:            value\n", the value in column 18: the "key: value" lines of lb's replies.
[[nodiscard]] std::string key_value(std::string_view key, std::string_view value);
// `text` safe for one line of a reply: control bytes become spaces, "" becomes "-".
[[nodiscard]] std::string one_line(std::string_view text);

// Columns padded to the widest cell, two spaces apart; the last column is not padded.
class TextTable {
public:
    explicit TextTable(std::vector<std::string> header);
    void add_row(std::vector<std::string> cells);
    [[nodiscard]] std::string render(std::string_view indent = "") const;

private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace lb::admin
