#include "lb/admin/controller_commands.h"

#include <string>
#include <utility>

#include "lb/admin/command_parser.h"
#include "lb/admin/commands.h"
#include "lb/base/logger.h"

namespace lb::admin {

PreparedCommand ControllerCommands::prepare(std::string_view text) {
    auto parsed = parse_command(text);
    if (!parsed.ok()) return reply_with(parsed.error() + "\n");
    if (auto session = session_command(parsed.value())) return std::move(*session);
    PreparedCommand prepared;
    prepared.may_answer_later = is_async(parsed.value());
    // Only what was done is an operator action worth the log: not a refused or invalid command.
    const bool audit = changes_state(parsed.value());
    prepared.run = [&controller = controller_, command = std::move(parsed.value()), audit,
                    line = std::string(text)](ReplyCallback reply) {
        execute(controller, command,
                [audit, line, reply = std::move(reply)](std::string body) {
                    if (audit && !is_error_reply(body)) log::info("admin: {}", line);
                    reply(std::move(body));
                });
    };
    return prepared;
}

}  // namespace lb::admin
