// Words are split on spaces and tabs; keywords are lowercase and case-sensitive, as in HAProxy.
// Error texts never echo non-printable bytes, so a reply can never break the line protocol.
#include "lb/admin/command_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

namespace lb::admin {
namespace {

using Words = std::vector<std::string_view>;

// Words of one command; "\;" in a word stands for ';' (it did not split the line).
std::vector<std::string> unescaped_words(std::string_view line);

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

std::vector<std::string> unescaped_words(std::string_view line) {
    std::vector<std::string> out;
    for (const std::string_view word : split_words(line)) {
        std::string text;
        for (std::size_t i = 0; i < word.size(); ++i) {
            if (word[i] == '\\' && i + 1 < word.size() && word[i + 1] == ';') continue;
            text += word[i];
        }
        out.push_back(std::move(text));
    }
    return out;
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

// HAProxy's modifiers of `show info` and `show stat`: later words win, unknown ones are ignored
// as HAProxy ignores them.
HaproxyFormat haproxy_format(const Words& words, std::size_t from) {
    HaproxyFormat format = HaproxyFormat::Text;
    for (std::size_t i = from; i < words.size(); ++i) {
        if (words[i] == "typed") format = HaproxyFormat::Typed;
        if (words[i] == "json") format = HaproxyFormat::Json;
    }
    return format;
}

std::optional<int> integer(std::string_view word) {
    int value = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc{} || end != word.data() + word.size()) return std::nullopt;
    return value;
}

// `show stat [<iid|name> <type> <sid>] [modifiers]`: the filter needs all three words, as in
// HAProxy (src/stats.c); a non-numeric type or sid counts as 0, i.e. matches nothing.
Result<Command> parse_show_stat(const Words& words) {
    ShowStat stat;
    std::size_t modifiers = 2;
    if (words.size() >= 5 && words[2] != "typed" && words[2] != "json" && words[2] != "up" &&
        words[2] != "no-maint" && words[2] != "desc") {
        if (words[2] != "-1") stat.filter.proxy = std::string(words[2]);
        stat.filter.types = integer(words[3]).value_or(0);
        if (const auto sid = integer(words[4]).value_or(0); sid != -1) stat.filter.server_id = sid;
        modifiers = 5;
    }
    stat.format = haproxy_format(words, modifiers);
    for (std::size_t i = modifiers; i < words.size(); ++i) {
        if (words[i] == "up") stat.up_only = true;
        if (words[i] == "no-maint") stat.no_maint = true;
    }
    return Command{std::move(stat)};
}

std::optional<std::string> optional_word(const Words& words, std::size_t index) {
    if (index < words.size()) return std::string(words[index]);
    return std::nullopt;
}

Result<Command> parse_show(const Words& words) {
    if (words.size() < 2) return Command{Unknown{"show"}};
    const std::string_view what = words[1];
    if (what == "status") return show_with_format<ShowStatus>(words);
    if (what == "sites") return show_with_format<ShowSites>(words);
    if (what == "listeners") return show_with_format<ShowListeners>(words);
    if (what == "sessions") return show_with_format<ShowSessions>(words);
    if (what == "peer") return show_with_format<ShowPeer>(words);
    if (what == "info") return Command{ShowInfo{haproxy_format(words, 2)}};
    if (what == "stat") return parse_show_stat(words);
    if (what == "backend") return Command{ShowBackend{}};
    if (what == "sess") return Command{ShowSess{}};
    if (what == "env") return Command{ShowEnv{optional_word(words, 2)}};
    if (what == "version") return Command{ShowVersion{}};
    if (what == "servers" && words.size() >= 3) {
        if (words[2] == "state") return Command{ShowServersState{optional_word(words, 3)}};
        if (words[2] == "conn") return Command{ShowServersConn{optional_word(words, 3)}};
    }
    return Command{Unknown{"show"}};
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

// HAProxy's own texts for its commands (src/server.c, src/cli.c), kept verbatim.
constexpr std::string_view kRequireBackendServer = "Require 'backend/server'.";
constexpr std::string_view kExpectsState =
    "'set server <srv> state' expects 'ready', 'drain' and 'maint'.";
constexpr std::string_view kExpectsHealth =
    "'set server <srv> health' expects 'up', 'stopping', or 'down'.";
constexpr std::string_view kRequireWeight = "Require <weight> or <weight%>.";
constexpr std::string_view kWeightGarbage = "Empty weight string empty or preceded by garbage";
constexpr std::string_view kWeightRange =
    "Absolute weight can only be between 0 and 256 inclusive.";
constexpr std::string_view kSetServerUsage =
    "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | "
    "check-addr | check-port | fqdn | health | ssl | state | weight";

// "B/S" → backend and server, split at the first '/' as HAProxy does.
Result<std::pair<std::string, std::string>> backend_server(const Words& words, std::size_t index) {
    if (words.size() <= index) return Error{std::string(kRequireBackendServer)};
    const std::string_view arg = words[index];
    const std::size_t slash = arg.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == arg.size())
        return Error{std::string(kRequireBackendServer)};
    return std::pair{std::string(arg.substr(0, slash)), std::string(arg.substr(slash + 1))};
}

// HAProxy's weight syntax (src/server.c, server_parse_weight_change_request): "N" from 0 to 256,
// or "N%" of the initial weight, which is 1 here (so 100% and above give 1, less gives 0, as
// HAProxy's integer arithmetic does). strtol's leniency (a leading '+' or blank) is HAProxy's.
Result<unsigned> parse_weight(const Words& words, std::size_t index) {
    if (words.size() <= index) return Error{std::string(kRequireWeight)};
    const std::string text(words[index]);
    errno = 0;
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str()) return Error{std::string(kWeightGarbage)};
    if (end[0] == '%' && end[1] == '\0') {
        if (value < 0) return Error{"Relative weight must be positive."};
        value = std::min<long>(errno == ERANGE ? 256 : value / 100, 256);  // 1 × value%
    } else if (errno == ERANGE || value < 0 || value > 256) {
        return Error{std::string(kWeightRange)};
    } else if (end[0] != '\0') {
        return Error{"Trailing garbage in weight string"};
    }
    return static_cast<unsigned>(value);
}

Result<Command> parse_set_server(const Words& words, std::size_t target_index,
                                 std::optional<SetServer::Field> field_word) {
    auto target = backend_server(words, target_index);
    if (!target.ok()) return Error{target.error()};
    SetServer set{target.value().first, target.value().second, SetServer::Field::State, "", 1};
    std::size_t value_index = target_index + 1;
    if (field_word) {
        set.field = *field_word;
    } else {
        const std::string_view what = words.size() > value_index ? words[value_index] : "";
        ++value_index;
        if (what == "state")
            set.field = SetServer::Field::State;
        else if (what == "health")
            set.field = SetServer::Field::Health;
        else if (what == "weight")
            set.field = SetServer::Field::Weight;
        else
            return Error{std::string(kSetServerUsage)};
    }
    const std::string_view value = words.size() > value_index ? words[value_index] : "";
    switch (set.field) {
        case SetServer::Field::State:
            if (!is_site_state(value)) return Error{std::string(kExpectsState)};
            set.state = std::string(value);
            break;
        case SetServer::Field::Health:
            if (value != "up" && value != "down" && value != "stopping")
                return Error{std::string(kExpectsHealth)};
            set.state = std::string(value);
            break;
        case SetServer::Field::Weight: {
            auto weight = parse_weight(words, value_index);
            if (!weight.ok()) return Error{weight.error()};
            set.weight = weight.value();
            break;
        }
    }
    return Command{std::move(set)};
}

// `set timeout cli <delay>`: HAProxy's delay syntax, seconds by default ("30", "5s", "500ms").
Result<Command> parse_set_timeout(const Words& words) {
    if (words.size() < 3 || words[2] != "cli") return Error{"'set timeout' only supports 'cli'."};
    if (words.size() < 4) return Error{"Expects an integer value."};
    std::string_view text = words[3];
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
    std::int64_t ms = -1;
    // HAProxy's timers hold at most 2^31 - 1 ms (about 24.8 days); more is refused.
    constexpr std::int64_t kMaxMs = 2'147'483'647;
    if (ec == std::errc{} && value > 0 && value <= kMaxMs) {
        if (unit.empty() || unit == "s")
            ms = value * 1000;
        else if (unit == "ms")
            ms = value;
        else if (unit == "m")
            ms = value * 60'000;
        else if (unit == "h")
            ms = value * 3'600'000;
        else if (unit == "d")
            ms = value * 86'400'000;
    }
    if (ms <= 0 || ms > kMaxMs) return Error{"Invalid timeout value."};
    return Command{SetTimeoutCli{Duration(ms)}};
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
    if (words.size() >= 2 && words[1] == "server") return parse_set_server(words, 2, std::nullopt);
    if (words.size() >= 2 && words[1] == "weight")
        return parse_set_server(words, 2, SetServer::Field::Weight);
    if (words.size() >= 2 && words[1] == "timeout") return parse_set_timeout(words);
    return Command{Unknown{"set"}};
}

Result<Command> parse_get(const Words& words) {
    if (words.size() < 2 || words[1] != "weight") return Command{Unknown{"get"}};
    auto target = backend_server(words, 2);
    if (!target.ok()) return Error{target.error()};
    return Command{GetWeight{target.value().first, target.value().second}};
}

// `disable server B/S` → maint, `enable server B/S` → ready (HAProxy's meaning).
Result<Command> parse_enable_disable(const Words& words, std::string_view state) {
    if (words.size() < 2 || words[1] != "server") return Command{Unknown{std::string(words[0])}};
    auto target = backend_server(words, 2);
    if (!target.ok()) return Error{target.error()};
    return Command{SetServer{target.value().first, target.value().second, SetServer::Field::State,
                             std::string(state), 1}};
}

template <typename Bare>
Result<Command> bare(const Words& words) {
    if (words.size() == 1) return Command{Bare{}};
    return fail(fmt::format("'{}' takes no arguments", words[0]));
}

}  // namespace

std::vector<std::string> split_commands(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::vector<std::string> commands(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ';') {
            commands.back() += "\\;";
            ++i;
        } else if (line[i] == ';') {
            commands.emplace_back();
        } else {
            commands.back() += line[i];
        }
    }
    return commands;
}

Result<Command> parse_command(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > kMaxLineBytes)
        return fail(fmt::format("line too long (over {} bytes); ignored", kMaxLineBytes));
    if (!is_text(line)) return fail("binary data in command; commands are one line of ASCII text");
    const std::vector<std::string> storage = unescaped_words(line);
    const Words words(storage.begin(), storage.end());
    if (words.empty()) return Command{Empty{}};

    const std::string_view verb = words[0];
    if (verb == "help") return Command{Help{}};
    if (verb == "quit") return Command{Quit{}};
    if (verb == "prompt") return Command{Prompt{}};
    if (verb == "show") return parse_show(words);
    if (verb == "get") return parse_get(words);
    if (verb == "pin") return parse_pin(words);
    if (verb == "unpin") return bare<Unpin>(words);
    if (verb == "failback") return bare<Failback>(words);
    if (verb == "reload") return bare<Reload>(words);
    if (verb == "set") return parse_set(words);
    if (verb == "disable") return parse_enable_disable(words, "maint");
    if (verb == "enable") return parse_enable_disable(words, "ready");
    if (verb == "peer") {
        if (words.size() == 2 && words[1] == "step-down") return Command{PeerStepDown{}};
        if (words.size() == 2 && words[1] == "force-master") return Command{PeerForceMaster{}};
        return fail("usage: peer step-down | peer force-master");
    }
    return Command{Unknown{std::string(verb)}};
}

bool changes_state(const Command& command) {
    return std::holds_alternative<Pin>(command) || std::holds_alternative<Unpin>(command) ||
           std::holds_alternative<Failback>(command) ||
           std::holds_alternative<SetSiteState>(command) ||
           std::holds_alternative<SetServer>(command) || std::holds_alternative<Reload>(command) ||
           std::holds_alternative<PeerStepDown>(command) ||
           std::holds_alternative<PeerForceMaster>(command);
}

}  // namespace lb::admin
