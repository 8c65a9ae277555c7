#include "lb/admin/command_handler.h"

#include <utility>
#include <variant>

namespace lb::admin {

PreparedCommand reply_with(std::string body) {
    PreparedCommand prepared;
    prepared.run = [body = std::move(body)](const ReplyCallback& reply) { reply(body); };
    return prepared;
}

std::optional<PreparedCommand> session_command(const Command& command) {
    if (std::holds_alternative<Quit>(command)) {
        PreparedCommand quit;
        quit.session = SessionEffect::Quit;
        return quit;
    }
    if (std::holds_alternative<Prompt>(command)) {
        PreparedCommand prompt = reply_with("");
        prompt.session = SessionEffect::TogglePrompt;
        return prompt;
    }
    if (const auto* timeout = std::get_if<SetTimeoutCli>(&command)) {
        PreparedCommand set = reply_with("");
        set.session = SessionEffect::SetIdleTimeout;
        set.idle_timeout = timeout->idle;
        return set;
    }
    return std::nullopt;
}

}  // namespace lb::admin
