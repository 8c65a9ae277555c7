// parse_command as a table: each admin line maps to one Command, or to the exact error line the
// operator (or an HAProxy script) will read; split_commands cuts a line at its unescaped ';'.
// Pure: no socket, no Controller.
#include "lb/admin/command_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lb::admin {
namespace {

using namespace std::chrono_literals;

struct Accepted {
    const char* what;
    std::string line;
    Command expected;
};

bool same_filter(const StatFilter& x, const StatFilter& y) {
    return x.proxy == y.proxy && x.types == y.types && x.server_id == y.server_id;
}

bool same(const Command& a, const Command& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b);
            if constexpr (std::is_same_v<T, ShowStatus> || std::is_same_v<T, ShowSites> ||
                          std::is_same_v<T, ShowListeners> || std::is_same_v<T, ShowSessions> ||
                          std::is_same_v<T, ShowInfo> || std::is_same_v<T, ShowPeer>)
                return x.format == y.format;
            else if constexpr (std::is_same_v<T, ShowStat>)
                return x.format == y.format && same_filter(x.filter, y.filter) &&
                       x.up_only == y.up_only && x.no_maint == y.no_maint;
            else if constexpr (std::is_same_v<T, Pin>)
                return x.site == y.site && x.kill_other_sessions == y.kill_other_sessions;
            else if constexpr (std::is_same_v<T, SetSiteState>)
                return x.site == y.site && x.state == y.state;
            else if constexpr (std::is_same_v<T, ShowServersState> ||
                               std::is_same_v<T, ShowServersConn>)
                return x.backend == y.backend;
            else if constexpr (std::is_same_v<T, ShowEnv>)
                return x.variable == y.variable;
            else if constexpr (std::is_same_v<T, GetWeight>)
                return x.backend == y.backend && x.server == y.server;
            else if constexpr (std::is_same_v<T, SetServer>)
                return x.backend == y.backend && x.server == y.server && x.field == y.field &&
                       x.state == y.state && x.weight == y.weight;
            else if constexpr (std::is_same_v<T, SetTimeoutCli>)
                return x.idle == y.idle;
            else if constexpr (std::is_same_v<T, Unknown>)
                return x.verb == y.verb;
            else
                return true;
        },
        a);
}

SetServer set_state(std::string backend, std::string server, std::string state) {
    return SetServer{std::move(backend), std::move(server), SetServer::Field::State,
                     std::move(state), 1};
}

SetServer set_health(std::string backend, std::string server, std::string health) {
    return SetServer{std::move(backend), std::move(server), SetServer::Field::Health,
                     std::move(health), 1};
}

SetServer set_weight(std::string backend, std::string server, unsigned weight) {
    return SetServer{std::move(backend), std::move(server), SetServer::Field::Weight, "", weight};
}

ShowStat stat(HaproxyFormat format, StatFilter filter = {}, bool up = false,
              bool no_maint = false) {
    return ShowStat{format, std::move(filter), up, no_maint};
}

void check_accepted(const std::vector<Accepted>& rows) {
    for (const auto& row : rows) {
        INFO(row.what << ": '" << row.line << "'");
        const auto parsed = parse_command(row.line);
        INFO("error: " << (parsed.ok() ? std::string() : parsed.error()));
        REQUIRE(parsed.ok());
        CHECK(same(parsed.value(), row.expected));
    }
}

TEST_CASE("every admin command parses to its Command", "[unit][admin]") {
    check_accepted({
        {"help", "help", Help{}},
        // HAProxy's `help [<command>]`: the argument narrows HAProxy's list; here it is ignored.
        {"help with args", "help me", Help{}},
        {"quit", "quit", Quit{}},
        {"prompt", "prompt", Prompt{}},
        {"blank line", "", Empty{}},
        {"spaces only", "   \t ", Empty{}},
        {"status text", "show status", ShowStatus{Format::Text}},
        {"status json", "show status json", ShowStatus{Format::Json}},
        {"extra blanks", "  show \t sites   json ", ShowSites{Format::Json}},
        {"listeners", "show listeners", ShowListeners{Format::Text}},
        {"sessions json", "show sessions json", ShowSessions{Format::Json}},
        {"peer", "show peer", ShowPeer{Format::Text}},
        {"peer json", "show peer json", ShowPeer{Format::Json}},
        {"peer step-down", "peer step-down", PeerStepDown{}},
        {"crlf tolerated", "show sessions\r", ShowSessions{Format::Text}},
        {"pin", "pin site-b", Pin{"site-b", false}},
        {"pin --kill", "pin site-b --kill", Pin{"site-b", true}},
        {"pin --kill first", "pin --kill site-a", Pin{"site-a", true}},
        {"unpin", "unpin", Unpin{}},
        {"failback", "failback", Failback{}},
        {"set site", "set site site-a state drain", SetSiteState{"site-a", "drain"}},
        {"reload", "reload", Reload{}},
        {"servers state", "show servers state", ShowServersState{}},
        {"servers state of one", "show servers state https", ShowServersState{"https"}},
        {"servers conn", "show servers conn", ShowServersConn{}},
        {"servers conn of one", "show servers conn ssh", ShowServersConn{"ssh"}},
        {"show backend", "show backend", ShowBackend{}},
        {"show sess", "show sess", ShowSess{}},
        {"show env", "show env", ShowEnv{}},
        {"show env var", "show env HOME", ShowEnv{"HOME"}},
        {"show version", "show version", ShowVersion{}},
        {"get weight", "get weight https/site-a", GetWeight{"https", "site-a"}},
    });
}

TEST_CASE("show info and show stat take HAProxy's formats, filters and modifiers",
          "[unit][admin]") {
    check_accepted({
        {"info", "show info", ShowInfo{HaproxyFormat::Text}},
        {"info typed", "show info typed", ShowInfo{HaproxyFormat::Typed}},
        {"info json", "show info json", ShowInfo{HaproxyFormat::Json}},
        {"info: the last format wins", "show info json typed", ShowInfo{HaproxyFormat::Typed}},
        {"info: unknown modifiers ignored", "show info desc float", ShowInfo{HaproxyFormat::Text}},
        {"stat", "show stat", stat(HaproxyFormat::Text)},
        {"stat typed", "show stat typed", stat(HaproxyFormat::Typed)},
        {"stat json", "show stat json", stat(HaproxyFormat::Json)},
        {"stat up", "show stat up", stat(HaproxyFormat::Text, {}, true, false)},
        {"stat no-maint json", "show stat no-maint json",
         stat(HaproxyFormat::Json, {}, false, true)},
        {"stat desc ignored", "show stat desc", stat(HaproxyFormat::Text)},
        {"stat every proxy, servers", "show stat -1 4 -1",
         stat(HaproxyFormat::Text, StatFilter{std::nullopt, 4, std::nullopt})},
        {"stat one proxy by iid", "show stat 3 7 -1",
         stat(HaproxyFormat::Text, StatFilter{"3", 7, std::nullopt})},
        {"stat one proxy by name, one server", "show stat https 4 2 typed",
         stat(HaproxyFormat::Typed, StatFilter{"https", 4, 2})},
        {"stat filter then modifiers", "show stat ssh 2 -1 json up no-maint",
         stat(HaproxyFormat::Json, StatFilter{"ssh", 2, std::nullopt}, true, true)},
        // HAProxy's atoi(): a type or sid that is not a number is 0, which matches nothing.
        {"stat non-numeric type", "show stat https x -1",
         stat(HaproxyFormat::Text, StatFilter{"https", 0, std::nullopt})},
        {"stat non-numeric sid", "show stat https 4 x",
         stat(HaproxyFormat::Text, StatFilter{"https", 4, 0})},
        // The filter needs all three words, as in HAProxy; two are modifiers (ignored).
        {"stat two words are no filter", "show stat https 4", stat(HaproxyFormat::Text)},
    });
}

TEST_CASE("set server, set weight, enable and disable server parse to SetServer", "[unit][admin]") {
    check_accepted({
        {"set server state", "set server https/site-b state maint",
         set_state("https", "site-b", "maint")},
        {"set server state drain", "set server ssh/site-a state drain",
         set_state("ssh", "site-a", "drain")},
        {"disable server", "disable server https/site-a", set_state("https", "site-a", "maint")},
        {"enable server", "enable server ssh/site-b", set_state("ssh", "site-b", "ready")},
        {"split at the first slash", "set server a/b/c state ready",
         set_state("a", "b/c", "ready")},
        {"health up", "set server https/site-a health up", set_health("https", "site-a", "up")},
        {"health down", "set server https/site-a health down",
         set_health("https", "site-a", "down")},
        {"health stopping", "set server https/site-a health stopping",
         set_health("https", "site-a", "stopping")},
        {"weight 0", "set server https/site-a weight 0", set_weight("https", "site-a", 0)},
        {"weight 1", "set server https/site-a weight 1", set_weight("https", "site-a", 1)},
        {"weight 256", "set server https/site-a weight 256", set_weight("https", "site-a", 256)},
        // Percentages of the initial weight, 1: HAProxy's integer arithmetic.
        {"weight 100%", "set server https/site-a weight 100%", set_weight("https", "site-a", 1)},
        {"weight 50%", "set server https/site-a weight 50%", set_weight("https", "site-a", 0)},
        {"weight 0%", "set server https/site-a weight 0%", set_weight("https", "site-a", 0)},
        {"weight 250%", "set server https/site-a weight 250%", set_weight("https", "site-a", 2)},
        {"weight 30000% is capped", "set server https/site-a weight 30000%",
         set_weight("https", "site-a", 256)},
        {"weight +5 (strtol's sign)", "set server https/site-a weight +5",
         set_weight("https", "site-a", 5)},
        {"set weight (older spelling)", "set weight ssh/site-b 0", set_weight("ssh", "site-b", 0)},
        {"set weight 100%", "set weight ssh/site-b 100%", set_weight("ssh", "site-b", 1)},
    });
}

TEST_CASE("set timeout cli takes HAProxy's delays, in seconds by default", "[unit][admin]") {
    check_accepted({
        {"bare number: seconds", "set timeout cli 30", SetTimeoutCli{30s}},
        {"seconds", "set timeout cli 5s", SetTimeoutCli{5s}},
        {"milliseconds", "set timeout cli 500ms", SetTimeoutCli{500ms}},
        {"minutes", "set timeout cli 2m", SetTimeoutCli{2min}},
        {"hours", "set timeout cli 1h", SetTimeoutCli{1h}},
        {"days", "set timeout cli 1d", SetTimeoutCli{24h}},
        {"one", "set timeout cli 1", SetTimeoutCli{1s}},
    });
}

TEST_CASE("unknown commands become Unknown with their first word", "[unit][admin]") {
    check_accepted({
        {"unknown verb", "foo", Unknown{"foo"}},
        {"unknown verb with args", "frobnicate --now", Unknown{"frobnicate"}},
        {"case matters", "HELP", Unknown{"HELP"}},
        {"show alone", "show", Unknown{"show"}},
        {"unknown show", "show bananas", Unknown{"show"}},
        {"servers without what", "show servers", Unknown{"show"}},
        {"servers bad what", "show servers health", Unknown{"show"}},
        {"get alone", "get", Unknown{"get"}},
        {"get other", "get var x", Unknown{"get"}},
        {"set alone", "set", Unknown{"set"}},
        {"set other", "set maxconn global 10", Unknown{"set"}},
        {"disable frontend", "disable frontend https", Unknown{"disable"}},
        {"enable alone", "enable", Unknown{"enable"}},
        {"long word kept whole", "x" + std::string(100, 'y'), Unknown{"x" + std::string(100, 'y')}},
    });
}

struct Refused {
    const char* what;
    std::string line;
    std::string error;  // the exact reply line
};

void check_refused(const std::vector<Refused>& rows) {
    for (const auto& row : rows) {
        INFO(row.what << ": '" << row.line << "'");
        const auto parsed = parse_command(row.line);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error() == row.error);
    }
}

TEST_CASE("bad lb commands give one clear error line", "[unit][admin]") {
    check_refused({
        {"bad format", "show status yaml", "error: usage: show status [json]"},
        {"sites bad format", "show sites xml", "error: usage: show sites [json]"},
        {"pin without site", "pin", "error: usage: pin SITE [--kill]"},
        {"pin two sites", "pin a b", "error: usage: pin SITE [--kill]"},
        {"pin bad flag", "pin a --force", "error: usage: pin SITE [--kill]"},
        {"set site bad state", "set site site-a state up",
         "error: unknown state 'up'; expected ready, drain or maint"},
        {"set site short", "set site site-a",
         "error: usage: set site SITE state ready|drain|maint"},
        {"long word is shortened", "set site site-a state x" + std::string(100, 'y'),
         "error: unknown state 'x" + std::string(63, 'y') + "...'; expected ready, drain or maint"},
        {"unpin args", "unpin now", "error: 'unpin' takes no arguments"},
        {"failback args", "failback please", "error: 'failback' takes no arguments"},
        {"reload args", "reload now", "error: 'reload' takes no arguments"},
        {"binary", std::string("\x16\x03\x01\x02\x00", 5),
         "error: binary data in command; commands are one line of ASCII text"},
        {"non-ascii", "pin s\xc3\xa9te",
         "error: binary data in command; commands are one line of ASCII text"},
        {"too long", std::string(kMaxLineBytes + 1, 'a'),
         "error: line too long (over 4096 bytes); ignored"},
    });
}

TEST_CASE("bad HAProxy commands give HAProxy's exact texts", "[unit][admin]") {
    const std::string usage =
        "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | "
        "agent-send | check-addr | check-port | fqdn | health | ssl | state | weight";
    check_refused({
        {"no slash", "set server https state ready", "Require 'backend/server'."},
        {"empty server", "disable server https/", "Require 'backend/server'."},
        {"empty backend", "set server /site-a state ready", "Require 'backend/server'."},
        {"missing target", "enable server", "Require 'backend/server'."},
        {"set server alone", "set server", "Require 'backend/server'."},
        {"get weight no target", "get weight", "Require 'backend/server'."},
        {"get weight no slash", "get weight https", "Require 'backend/server'."},
        {"set weight no target", "set weight x", "Require 'backend/server'."},
        {"set server no field", "set server https/site-a", usage},
        {"set server unknown field", "set server https/site-a addr 10.0.0.1", usage},
        {"bad server state", "set server https/site-a state up",
         "'set server <srv> state' expects 'ready', 'drain' and 'maint'."},
        {"missing server state", "set server https/site-a state",
         "'set server <srv> state' expects 'ready', 'drain' and 'maint'."},
        {"bad health", "set server https/site-a health maybe",
         "'set server <srv> health' expects 'up', 'stopping', or 'down'."},
        {"missing health", "set server https/site-a health",
         "'set server <srv> health' expects 'up', 'stopping', or 'down'."},
        {"missing weight", "set server https/site-a weight", "Require <weight> or <weight%>."},
        {"set weight missing weight", "set weight https/site-a", "Require <weight> or <weight%>."},
        {"weight over 256", "set server https/site-a weight 300",
         "Absolute weight can only be between 0 and 256 inclusive."},
        {"weight 257", "set server https/site-a weight 257",
         "Absolute weight can only be between 0 and 256 inclusive."},
        {"negative weight", "set server https/site-a weight -1",
         "Absolute weight can only be between 0 and 256 inclusive."},
        {"garbage weight", "set server https/site-a weight x",
         "Empty weight string empty or preceded by garbage"},
        {"bare percent", "set server https/site-a weight %",
         "Empty weight string empty or preceded by garbage"},
        // HAProxy 2.6.12's own answers to these, read off the real program.
        {"trailing garbage", "set server https/site-a weight 10x",
         "Trailing garbage in weight string"},
        {"negative percent", "set server https/site-a weight -1%",
         "Relative weight must be positive."},
        {"timeout past 2^31 ms", "set timeout cli 99999999999999d", "Invalid timeout value."},
        {"timeout 25 days", "set timeout cli 25d", "Invalid timeout value."},
        {"timeout other than cli", "set timeout client 5", "'set timeout' only supports 'cli'."},
        {"timeout alone", "set timeout", "'set timeout' only supports 'cli'."},
        {"timeout without delay", "set timeout cli", "Expects an integer value."},
        {"timeout zero", "set timeout cli 0", "Invalid timeout value."},
        {"timeout negative", "set timeout cli -5", "Invalid timeout value."},
        {"timeout garbage", "set timeout cli x", "Invalid timeout value."},
        {"timeout unknown unit", "set timeout cli 5x", "Invalid timeout value."},
        {"timeout fraction", "set timeout cli 1.5s", "Invalid timeout value."},
        {"timeout zero ms", "set timeout cli 0ms", "Invalid timeout value."},
    });
}

TEST_CASE("a line of exactly the maximum length is accepted", "[unit][admin]") {
    const std::string line = "pin " + std::string(kMaxLineBytes - 4, 's');
    const auto parsed = parse_command(line);
    REQUIRE(parsed.ok());
    CHECK(std::get<Pin>(parsed.value()).site.size() == kMaxLineBytes - 4);
    CHECK(parse_command(line + "\r").ok());  // the tolerated CR does not count
}

TEST_CASE("split_commands cuts a line at each semicolon that is not escaped", "[unit][admin]") {
    using Parts = std::vector<std::string>;
    struct Row {
        const char* what;
        std::string line;
        Parts parts;
    };
    const std::vector<Row> rows = {
        {"one command", "show info", {"show info"}},
        {"empty line", "", {""}},
        {"two commands", "show backend;show version", {"show backend", "show version"}},
        {"spaces kept for the parser", "show info ; show stat", {"show info ", " show stat"}},
        {"three", "a;b;c", {"a", "b", "c"}},
        {"empty parts kept", ";;", {"", "", ""}},
        {"empty middle", "help;;quit", {"help", "", "quit"}},
        {"trailing ';'", "show info;", {"show info", ""}},
        {"leading ';'", ";show info", {"", "show info"}},
        {"escaped ';' does not split",
         "set site a\\;b state ready",
         {"set site a\\;b state ready"}},
        {"escaped and plain", "a\\;b;c", {"a\\;b", "c"}},
        {"a lone backslash stays", "a\\b;c", {"a\\b", "c"}},
        {"backslash at the end", "a\\", {"a\\"}},
        {"CR dropped", "show info;show stat\r", {"show info", "show stat"}},
    };
    for (const auto& row : rows) {
        INFO(row.what << ": '" << row.line << "'");
        CHECK(split_commands(row.line) == row.parts);
    }
}

TEST_CASE("an escaped semicolon reaches the command as a plain semicolon", "[unit][admin]") {
    const auto parts = split_commands("pin a\\;b;unpin");
    REQUIRE(parts.size() == 2);
    const auto pin = parse_command(parts[0]);
    REQUIRE(pin.ok());
    CHECK(same(pin.value(), Pin{"a;b", false}));
    const auto unpin = parse_command(parts[1]);
    REQUIRE(unpin.ok());
    CHECK(std::holds_alternative<Unpin>(unpin.value()));
}

TEST_CASE("commands that change state are the ones worth an audit line", "[unit][admin]") {
    for (const char* line :
         {"pin a", "unpin", "failback", "set site a state maint", "reload", "disable server b/a",
          "enable server b/a", "set server b/a state ready", "set server b/a health down",
          "set server b/a weight 0", "set weight b/a 1"}) {
        INFO(line);
        const auto parsed = parse_command(line);
        REQUIRE(parsed.ok());
        CHECK(changes_state(parsed.value()));
    }
    for (const char* line :
         {"help", "show status", "show stat", "show servers state", "", "prompt", "quit",
          "set timeout cli 5", "get weight b/a", "show version", "show info json", "foo"}) {
        INFO(line);
        const auto parsed = parse_command(line);
        REQUIRE(parsed.ok());
        CHECK_FALSE(changes_state(parsed.value()));
    }
}

}  // namespace
}  // namespace lb::admin
