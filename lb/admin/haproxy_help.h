// The command list in HAProxy's layout ("  <usage padded to 40>: <description>"), with HAProxy
// 2.6's own wording for the commands both share, and HAProxy's answers to an unknown or empty
// command.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace lb::admin {

// One command in the list: "  <usage padded to 40>: <description>".
struct HelpLine {
    std::string_view usage;
    std::string_view description;
};

// "The following commands are valid at this level:" and every command, sorted as HAProxy
// sorts them (help, prompt and quit last).
[[nodiscard]] std::string help_text();

// `verb` not understood: HAProxy's "Unknown command, but maybe one of the following ones is a
// better match:" with the closest commands; an empty command gets "Unknown command. Please
// enter one of the following commands only:" and the whole list.
[[nodiscard]] std::string unknown_command_text(std::string_view verb);

// The same for another command set (`lb arbiter`'s socket): `commands` sorted by usage, the
// session commands (help, prompt, quit) appended.
[[nodiscard]] std::string help_text(std::span<const HelpLine> commands);
[[nodiscard]] std::string unknown_command_text(std::string_view verb,
                                               std::span<const HelpLine> commands);

}  // namespace lb::admin
