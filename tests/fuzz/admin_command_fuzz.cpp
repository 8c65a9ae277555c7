// Fuzz target: the admin socket's command lines (split_commands, then parse_command on each
// part), any bytes as one line. Beyond not crashing: an error is a non-empty reply line with no
// control byte in it, so whatever a client sends, the reply cannot break the line protocol; a line
// without ';' is one command.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lb/admin/command_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto commands = lb::admin::split_commands(line);
    if (commands.empty()) std::abort();
    if (line.find(';') == std::string_view::npos && commands.size() != 1) std::abort();
    for (const std::string& command : commands) {
        const auto parsed = lb::admin::parse_command(command);
        if (parsed.ok()) {
            (void)lb::admin::changes_state(parsed.value());
            continue;
        }
        const std::string& error = parsed.error();
        if (error.empty()) std::abort();
        for (const char c : error) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) std::abort();
        }
    }
    return 0;
}
