// One admin line → one Command, or the exact error line to send back. Pure: no I/O, no
// Controller; whether a named site or backend exists is decided when the command runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/duration.h"
#include "lb/base/result.h"

namespace lb::admin {

enum class Format { Text, Json };

struct Help {};
struct Quit {};   // close the connection once earlier replies are out (HAProxy's `quit`)
struct Empty {};  // an empty command: HAProxy answers it with the list of commands
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
struct ShowPeer {
    Format format = Format::Text;
};
struct PeerStepDown {};  // `peer step-down`: hand the VIP to the peer (planned maintenance)
struct PeerForceMaster {};  // `peer force-master`: take the VIP without quorum (arbiter)

// The HAProxy runtime-API subset. A listener is a "backend" (and a frontend), a site a "server".
// Their replies follow HAProxy 2.6 byte for byte where sitelb has the same meaning.
enum class HaproxyFormat { Text, Typed, Json };

struct Prompt {};  // toggles interactive mode: a "> " prompt after each reply, connection kept
struct SetTimeoutCli {
    Duration idle;  // this connection's idle timeout
};
struct ShowInfo {
    HaproxyFormat format = HaproxyFormat::Text;
};
// `show stat [<iid|name> <type> <sid>] [typed|json] [up] [no-maint]`.
struct StatFilter {
    std::optional<std::string> proxy;  // a name or a numeric iid; nullopt: every proxy
    int types = 0x7;                   // 1 frontends, 2 backends, 4 servers
    std::optional<int> server_id;      // nullopt: every server
};
struct ShowStat {
    HaproxyFormat format = HaproxyFormat::Text;
    StatFilter filter;
    bool up_only = false;   // `up`: servers that are up (or unchecked) only
    bool no_maint = false;  // `no-maint`: servers in maintenance left out
};
struct ShowServersState {
    std::optional<std::string> backend;  // all backends when absent
};
struct ShowServersConn {
    std::optional<std::string> backend;
};
struct ShowBackend {};
struct ShowSess {};
struct ShowEnv {
    std::optional<std::string> variable;
};
struct ShowVersion {};
struct GetWeight {
    std::string backend;
    std::string server;
};
// `set server B/S state|health|weight V`; `disable/enable server B/S` (state maint/ready) and
// `set weight B/S V` are the older spellings.
struct SetServer {
    enum class Field { State, Health, Weight };
    std::string backend;
    std::string server;
    Field field = Field::State;
    std::string state;    // State: ready|drain|maint; Health: up|down|stopping
    unsigned weight = 1;  // Weight: absolute, already resolved from a percentage of 1
};
// A command this socket does not know: answered with HAProxy's "Unknown command" text and the
// help lines that start like it.
struct Unknown {
    std::string verb;  // the first word, "" for an empty command
};

using Command =
    std::variant<Help, Quit, Empty, ShowStatus, ShowSites, ShowListeners, ShowSessions, Pin, Unpin,
                 Failback, SetSiteState, Reload, Prompt, SetTimeoutCli, ShowInfo, ShowStat,
                 ShowServersState, ShowServersConn, ShowBackend, ShowSess, ShowEnv, ShowVersion,
                 GetWeight, SetServer, ShowPeer, PeerStepDown, PeerForceMaster, Unknown>;

// Longest command line accepted, without its line end.
inline constexpr std::size_t kMaxLineBytes = 4096;

// One command: a line, or one part of a line split at ';' (split_commands). On failure the error
// is the complete reply line: "error: ..." for lb's own commands, HAProxy's exact text
// ("Require 'backend/server'.") for the HAProxy subset, so that existing scripts see what they
// expect.
[[nodiscard]] Result<Command> parse_command(std::string_view line);

// A line without its "\n" (a trailing "\r" is dropped) split at each ';' not escaped as "\;",
// as HAProxy does: "show info;show stat" is two commands. The escapes stay for parse_command.
[[nodiscard]] std::vector<std::string> split_commands(std::string_view line);

// True when a command changes the daemon's state (worth an audit log line).
[[nodiscard]] bool changes_state(const Command& command);

}  // namespace lb::admin
