// Words are split on spaces and tabs; keywords are lowercase and case-sensitive, as in HAProxy.
// Error texts never echo non-printable bytes, so a reply can never break the line protocol.
#include "lb/admin/command_parser.h"

#include <fmt/format.h>

#include <vector>

namespace lb::admin {
namespace {

using Words = std::vector<std::string_view>;

Words split_words(std::string_view line) {
    Words words;
    std::size_t pos = 0;
    while (pos < line.size()) {
        const std::size_t start = line.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) break;
        const std::size_t end = line.find_first_of(" \t", start);
        words.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
        pos = end == std::string_view::npos ? line.size() : end;
    }
    return words;
}

// Only printable ASCII and tabs: names in the config are ASCII, and anything else is binary
// noise (a wrong client, a port scanner) that must not be echoed back.
bool is_text(std::string_view line) {
    for (const char c : line) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\t') continue;
        if (byte < 0x20 || byte > 0x7e) return false;
    }
    return true;
}

Error fail(std::string message) { return Error{"error: " + std::move(message)}; }

// An unknown word is quoted back, shortened: the operator sees what was not understood.
std::string quoted(std::string_view word) {
    constexpr std::size_t kMax = 64;
    if (word.size() <= kMax) return fmt::format("'{}'", word);
    return fmt::format("'{}...'", word.substr(0, kMax));
}

std::string joined(const Words& words, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count && i < words.size(); ++i) {
        if (i > 0) out += ' ';
        out += words[i];
    }
    return out;
}

Error unknown(const Words& words, std::size_t count) {
    return fail(fmt::format("unknown command {}; try 'help'", quoted(joined(words, count))));
}

bool is_site_state(std::string_view state) {
    return state == "ready" || state == "drain" || state == "maint";
}

// `show X [json]`: the optional format word, nothing else.
template <typename Show>
Result<Command> show_with_format(const Words& words) {
    if (words.size() == 2) return Command{Show{Format::Text}};
    if (words.size() == 3 && words[2] == "json") return Command{Show{Format::Json}};
    return fail(fmt::format("usage: show {} [json]", words[1]));
}

Result<Command> parse_show(const Words& words) {
    if (words.size() < 2)
        return fail(
            "'show' needs what to show: status, sites, listeners, sessions, info, stat, "
            "servers state");
    const std::string_view what = words[1];
    if (what == "status") return show_with_format<ShowStatus>(words);
    if (what == "sites") return show_with_format<ShowSites>(words);
    if (what == "listeners") return show_with_format<ShowListeners>(words);
    if (what == "sessions") return show_with_format<ShowSessions>(words);
    if (what == "info") {
        if (words.size() == 2) return Command{ShowInfo{}};
        return fail("'show info' takes no arguments here (typed, json and desc are not supported)");
    }
    if (what == "stat") {
        if (words.size() == 2) return Command{ShowStat{}};
        return fail(
            "'show stat' takes no arguments here (filters, typed and json are not "
            "supported)");
    }
    if (what == "servers") {
        if (words.size() < 3 || words[2] != "state") return unknown(words, 3);
        if (words.size() == 3) return Command{ShowServersState{}};
        if (words.size() == 4) return Command{ShowServersState{std::string(words[3])}};
        return fail("usage: show servers state [BACKEND]");
    }
    return unknown(words, 2);
}

Result<Command> parse_pin(const Words& words) {
    Pin pin;
    bool have_site = false;
    for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i] == "--kill") {
            pin.kill_other_sessions = true;
        } else if (!have_site && !words[i].starts_with("-")) {
            pin.site = std::string(words[i]);
            have_site = true;
        } else {
            return fail("usage: pin SITE [--kill]");
        }
    }
    if (!have_site) return fail("usage: pin SITE [--kill]");
    return Command{std::move(pin)};
}

// HAProxy's own texts for its commands (src/server.c, cli_find_server), kept verbatim.
constexpr std::string_view kRequireBackendServer = "Require 'backend/server'.";
constexpr std::string_view kExpectsState =
    "'set server <srv> state' expects 'ready', 'drain' and 'maint'.";

// "B/S" → backend and server, split at the first '/' as HAProxy does.
Result<SetServerState> backend_server(const Words& words, std::size_t index) {
    if (words.size() <= index) return Error{std::string(kRequireBackendServer)};
    const std::string_view arg = words[index];
    const std::size_t slash = arg.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == arg.size())
        return Error{std::string(kRequireBackendServer)};
    return SetServerState{std::string(arg.substr(0, slash)), std::string(arg.substr(slash + 1)),
                          ""};
}

Result<Command> parse_set(const Words& words) {
    if (words.size() >= 2 && words[1] == "site") {
        if (words.size() != 5 || words[3] != "state")
            return fail("usage: set site SITE state ready|drain|maint");
        if (!is_site_state(words[4]))
            return fail(
                fmt::format("unknown state {}; expected ready, drain or maint", quoted(words[4])));
        return Command{SetSiteState{std::string(words[2]), std::string(words[4])}};
    }
    if (words.size() >= 2 && words[1] == "server") {
        auto target = backend_server(words, 2);
        if (!target.ok()) return Error{target.error()};
        if (words.size() < 4 || words[3] != "state")
            return fail(
                "'set server' supports only 'state' here (weight, health, addr, agent "
                "and the others are not supported)");
        if (words.size() != 5 || !is_site_state(words[4])) return Error{std::string(kExpectsState)};
        target.value().state = std::string(words[4]);
        return Command{std::move(target.value())};
    }
    return unknown(words, 2);
}

// `disable server B/S` → maint, `enable server B/S` → ready (HAProxy's meaning).
Result<Command> parse_enable_disable(const Words& words, std::string_view state) {
    if (words.size() < 2 || words[1] != "server") return unknown(words, 2);
    auto target = backend_server(words, 2);
    if (!target.ok()) return Error{target.error()};
    if (words.size() != 3) return fail(fmt::format("usage: {} server BACKEND/SERVER", words[0]));
    target.value().state = std::string(state);
    return Command{std::move(target.value())};
}

template <typename Bare>
Result<Command> bare(const Words& words) {
    if (words.size() == 1) return Command{Bare{}};
    return fail(fmt::format("'{}' takes no arguments", words[0]));
}

}  // namespace

Result<Command> parse_command(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > kMaxLineBytes)
        return fail(fmt::format("line too long (over {} bytes); ignored", kMaxLineBytes));
    if (!is_text(line)) return fail("binary data in command; commands are one line of ASCII text");
    const Words words = split_words(line);
    if (words.empty()) return Command{Empty{}};

    const std::string_view verb = words[0];
    if (verb == "help") return bare<Help>(words);
    if (verb == "quit") return bare<Quit>(words);
    if (verb == "show") return parse_show(words);
    if (verb == "pin") return parse_pin(words);
    if (verb == "unpin") return bare<Unpin>(words);
    if (verb == "failback") return bare<Failback>(words);
    if (verb == "reload") return bare<Reload>(words);
    if (verb == "set") return parse_set(words);
    if (verb == "disable") return parse_enable_disable(words, "maint");
    if (verb == "enable") return parse_enable_disable(words, "ready");
    return unknown(words, 1);
}

bool changes_state(const Command& command) {
    return std::holds_alternative<Pin>(command) || std::holds_alternative<Unpin>(command) ||
           std::holds_alternative<Failback>(command) ||
           std::holds_alternative<SetSiteState>(command) ||
           std::holds_alternative<SetServerState>(command) ||
           std::holds_alternative<Reload>(command);
}

}  // namespace lb::admin
