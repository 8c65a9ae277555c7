#include "lb/arbiter/arbiter_commands.h"

#include <array>
#include <string>
#include <variant>
#include <vector>

#include "lb/admin/command_parser.h"
#include "lb/admin/commands.h"
#include "lb/admin/haproxy_help.h"
#include "lb/arbiter/arbiter_format.h"

namespace lb::arbiter {
namespace {

constexpr std::array<admin::HelpLine, 2> kCommands = {{
    {"set timeout [cli] <delay>", "change a timeout setting"},
    {"show arbiter [json]", "the lease, its holder, the members, the newest decision"},
}};

std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(text.find_first_of(" \t", start), text.size());
        words.push_back(text.substr(start, end - start));
        pos = end;
    }
    return words;
}

}  // namespace

admin::PreparedCommand ArbiterCommands::prepare(std::string_view text) {
    if (text.ends_with('\r')) text.remove_suffix(1);
    const std::vector<std::string_view> words = words_of(text);
    if (!words.empty() && words[0] == "show" && words.size() >= 2 && words[1] == "arbiter") {
        if (words.size() == 2 || (words.size() == 3 && words[2] == "json")) {
            const auto format = words.size() == 3 ? admin::Format::Json : admin::Format::Text;
            admin::PreparedCommand show;
            show.run = [this, format](const admin::ReplyCallback& reply) {
                reply(format_arbiter(status_(), format));
            };
            return show;
        }
        return admin::reply_with(admin::error_reply("usage: show arbiter [json]"));
    }
    // The session commands and their errors ("set timeout" with a bad value) are lb's own
    // parser's; every other command of lb run is unknown here.
    auto parsed = admin::parse_command(text);
    const bool set_timeout = words.size() >= 2 && words[0] == "set" && words[1] == "timeout";
    if (!parsed.ok())
        return admin::reply_with(set_timeout || words.empty()
                                     ? parsed.error() + "\n"
                                     : admin::unknown_command_text(words[0], kCommands));
    if (auto session = admin::session_command(parsed.value())) return std::move(*session);
    if (std::holds_alternative<admin::Help>(parsed.value()))
        return admin::reply_with(admin::help_text(kCommands));
    return admin::reply_with(
        admin::unknown_command_text(words.empty() ? "" : words[0], kCommands));
}

}  // namespace lb::arbiter
