// One admin line → one Command, or the exact error line to send back. Pure: no I/O, no
// Controller; whether a named site or backend exists is decided when the command runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "lb/base/result.h"

namespace lb::admin {

enum class Format { Text, Json };

struct Help {};
struct Quit {};   // close the connection once earlier replies are out (HAProxy's `quit`)
struct Empty {};  // a blank line: answered with an empty reply, like HAProxy ignores it
struct ShowStatus {
    Format format = Format::Text;
};
struct ShowSites {
    Format format = Format::Text;
};
struct ShowListeners {
    Format format = Format::Text;
};
struct ShowSessions {
    Format format = Format::Text;
};
struct Pin {
    std::string site;
    bool kill_other_sessions = false;
};
struct Unpin {};
struct Failback {};
struct SetSiteState {
    std::string site;
    std::string state;  // "ready" | "drain" | "maint"
};
struct Reload {};

// The HAProxy runtime-API subset. A listener is a "backend", a site a "server".
struct ShowInfo {};
struct ShowStat {};
struct ShowServersState {
    std::optional<std::string> backend;  // all backends when absent
};
// `set server B/S state X`, `disable server B/S` (= maint), `enable server B/S` (= ready).
struct SetServerState {
    std::string backend;
    std::string server;
    std::string state;
};

using Command = std::variant<Help, Quit, Empty, ShowStatus, ShowSites, ShowListeners, ShowSessions,
                             Pin, Unpin, Failback, SetSiteState, Reload, ShowInfo, ShowStat,
                             ShowServersState, SetServerState>;

// Longest command line accepted, without its line end.
inline constexpr std::size_t kMaxLineBytes = 4096;

// `line` comes without its "\n" (a trailing "\r" is tolerated). On failure the error is the
// complete reply line: "error: ..." for lb's own commands, HAProxy's exact text ("Require
// 'backend/server'.") for the HAProxy subset, so that existing scripts see what they expect.
[[nodiscard]] Result<Command> parse_command(std::string_view line);

// True when a command changes the daemon's state (worth an audit log line).
[[nodiscard]] bool changes_state(const Command& command);

}  // namespace lb::admin
