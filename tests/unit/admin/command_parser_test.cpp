// parse_command as a table: each admin line maps to one Command, or to the exact error line the
// operator (or an HAProxy script) will read. Pure: no socket, no Controller.
#include "lb/admin/command_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lb::admin {
namespace {

struct Accepted {
    const char* what;
    std::string line;
    Command expected;
};

bool same(const Command& a, const Command& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b);
            if constexpr (std::is_same_v<T, ShowStatus> || std::is_same_v<T, ShowSites> ||
                          std::is_same_v<T, ShowListeners> || std::is_same_v<T, ShowSessions>)
                return x.format == y.format;
            else if constexpr (std::is_same_v<T, Pin>)
                return x.site == y.site && x.kill_other_sessions == y.kill_other_sessions;
            else if constexpr (std::is_same_v<T, SetSiteState>)
                return x.site == y.site && x.state == y.state;
            else if constexpr (std::is_same_v<T, ShowServersState>)
                return x.backend == y.backend;
            else if constexpr (std::is_same_v<T, SetServerState>)
                return x.backend == y.backend && x.server == y.server && x.state == y.state;
            else
                return true;
        },
        a);
}

TEST_CASE("every admin command parses to its Command", "[unit][admin]") {
    const std::vector<Accepted> rows = {
        {"help", "help", Help{}},
        {"quit", "quit", Quit{}},
        {"blank line", "", Empty{}},
        {"spaces only", "   \t ", Empty{}},
        {"status text", "show status", ShowStatus{Format::Text}},
        {"status json", "show status json", ShowStatus{Format::Json}},
        {"extra blanks", "  show \t sites   json ", ShowSites{Format::Json}},
        {"listeners", "show listeners", ShowListeners{Format::Text}},
        {"sessions json", "show sessions json", ShowSessions{Format::Json}},
        {"crlf tolerated", "show sessions\r", ShowSessions{Format::Text}},
        {"pin", "pin site-b", Pin{"site-b", false}},
        {"pin --kill", "pin site-b --kill", Pin{"site-b", true}},
        {"pin --kill first", "pin --kill site-a", Pin{"site-a", true}},
        {"unpin", "unpin", Unpin{}},
        {"failback", "failback", Failback{}},
        {"set site", "set site site-a state drain", SetSiteState{"site-a", "drain"}},
        {"reload", "reload", Reload{}},
        {"show info", "show info", ShowInfo{}},
        {"show stat", "show stat", ShowStat{}},
        {"servers state", "show servers state", ShowServersState{}},
        {"servers state of one", "show servers state https", ShowServersState{"https"}},
        {"set server", "set server https/site-b state maint",
         SetServerState{"https", "site-b", "maint"}},
        {"disable server", "disable server https/site-a",
         SetServerState{"https", "site-a", "maint"}},
        {"enable server", "enable server ssh/site-b", SetServerState{"ssh", "site-b", "ready"}},
    };
    for (const auto& row : rows) {
        INFO(row.what << ": '" << row.line << "'");
        const auto parsed = parse_command(row.line);
        REQUIRE(parsed.ok());
        CHECK(same(parsed.value(), row.expected));
    }
}

struct Refused {
    const char* what;
    std::string line;
    std::string error;  // the exact reply line
};

TEST_CASE("bad admin lines give one clear error line", "[unit][admin]") {
    const std::vector<Refused> rows = {
        {"unknown verb", "foo", "error: unknown command 'foo'; try 'help'"},
        {"unknown show", "show bananas", "error: unknown command 'show bananas'; try 'help'"},
        {"case matters", "HELP", "error: unknown command 'HELP'; try 'help'"},
        {"help with args", "help me", "error: 'help' takes no arguments"},
        {"show alone", "show",
         "error: 'show' needs what to show: status, sites, listeners, sessions, info, stat, "
         "servers state"},
        {"bad format", "show status yaml", "error: usage: show status [json]"},
        {"pin without site", "pin", "error: usage: pin SITE [--kill]"},
        {"pin two sites", "pin a b", "error: usage: pin SITE [--kill]"},
        {"pin bad flag", "pin a --force", "error: usage: pin SITE [--kill]"},
        {"set site bad state", "set site site-a state up",
         "error: unknown state 'up'; expected ready, drain or maint"},
        {"set site short", "set site site-a",
         "error: usage: set site SITE state ready|drain|maint"},
        {"set other", "set weight x", "error: unknown command 'set weight'; try 'help'"},
        {"unpin args", "unpin now", "error: 'unpin' takes no arguments"},
        {"show stat filter", "show stat -1 4 -1",
         "error: 'show stat' takes no arguments here (filters, typed and json are not supported)"},
        {"binary", std::string("\x16\x03\x01\x02\x00", 5),
         "error: binary data in command; commands are one line of ASCII text"},
        {"non-ascii", "pin s\xc3\xa9te",
         "error: binary data in command; commands are one line of ASCII text"},
        {"too long", std::string(kMaxLineBytes + 1, 'a'),
         "error: line too long (over 4096 bytes); ignored"},
        {"long word is shortened", "x" + std::string(100, 'y'),
         "error: unknown command 'x" + std::string(63, 'y') + "...'; try 'help'"},
        // HAProxy's own texts, verbatim, for scripts that match on them.
        {"no slash", "set server https state ready", "Require 'backend/server'."},
        {"empty server", "disable server https/", "Require 'backend/server'."},
        {"missing target", "enable server", "Require 'backend/server'."},
        {"bad server state", "set server https/site-a state up",
         "'set server <srv> state' expects 'ready', 'drain' and 'maint'."},
        {"set server weight", "set server https/site-a weight 10",
         "error: 'set server' supports only 'state' here (weight, health, addr, agent and the "
         "others are not supported)"},
    };
    for (const auto& row : rows) {
        INFO(row.what);
        const auto parsed = parse_command(row.line);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error() == row.error);
    }
}

TEST_CASE("a line of exactly the maximum length is accepted", "[unit][admin]") {
    const std::string line = "pin " + std::string(kMaxLineBytes - 4, 's');
    const auto parsed = parse_command(line);
    REQUIRE(parsed.ok());
    CHECK(std::get<Pin>(parsed.value()).site.size() == kMaxLineBytes - 4);
    CHECK(parse_command(line + "\r").ok());  // the tolerated CR does not count
}

TEST_CASE("commands that change state are the ones worth an audit line", "[unit][admin]") {
    for (const char* line : {"pin a", "unpin", "failback", "set site a state maint", "reload",
                             "disable server b/a", "set server b/a state ready"}) {
        INFO(line);
        CHECK(changes_state(parse_command(line).value()));
    }
    for (const char* line : {"help", "show status", "show stat", "show servers state", ""}) {
        INFO(line);
        CHECK_FALSE(changes_state(parse_command(line).value()));
    }
}

}  // namespace
}  // namespace lb::admin
