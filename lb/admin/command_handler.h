// What one admin socket serves. A connection keeps HAProxy's session commands (quit, prompt,
// set timeout cli) and the order of replies to itself; everything a command means comes from its
// handler: lb run's Controller (ControllerCommands), or `lb arbiter`'s own few commands.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/duration.h"
#include "lb/admin/command_parser.h"

namespace lb::admin {

using ReplyCallback = std::function<void(std::string body)>;

// What the connection does itself when the command is one of HAProxy's session commands.
enum class SessionEffect { None, Quit, TogglePrompt, SetIdleTimeout };

struct PreparedCommand {
    SessionEffect session = SessionEffect::None;
    Duration idle_timeout{0};       // SetIdleTimeout
    bool may_answer_later = false;  // counts against the connection's waiting replies
    // Calls its argument exactly once, at once or later on the loop thread, with the reply body
    // ("" or lines each ending in "\n"). Empty for Quit, which gets no reply.
    std::function<void(ReplyCallback)> run;
};

class CommandHandler {
public:
    virtual ~CommandHandler() = default;
    // One command: a line, or a part of one split at ';'. A command that cannot be parsed comes
    // back as one whose run replies with the error.
    [[nodiscard]] virtual PreparedCommand prepare(std::string_view text) = 0;
};

// A command that replies `body` at once.
[[nodiscard]] PreparedCommand reply_with(std::string body);

// The session commands, shared by every handler: nullopt when `command` is none of Quit, Prompt
// and SetTimeoutCli.
[[nodiscard]] std::optional<PreparedCommand> session_command(const Command& command);

}  // namespace lb::admin
