// The command list in HAProxy's layout and HAProxy's answers to an empty or unknown command:
// which first line, which commands, how many. Pure: text in, text out.
#include "lb/admin/haproxy_help.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/text_lines.h"

namespace lb::admin {
namespace {

using lb::test::lines_of;

const std::vector<std::string> kSessionLines = {
    "  help [<command>]                        : list matching or all commands",
    "  prompt                                  : toggle interactive mode with prompt",
    "  quit                                    : disconnect",
};

// "  <usage padded to 40>: <description>", as HAProxy prints its commands.
void check_layout(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
        INFO(line);
        CHECK(line.starts_with("  "));
        CHECK(line.size() > 44);
        CHECK(line.substr(42, 2) == ": ");
    }
}

TEST_CASE("help: HAProxy's heading, sorted commands, then help, prompt and quit", "[unit][admin]") {
    const std::string text = help_text();
    REQUIRE(text.ends_with("\n"));
    const auto lines = lines_of(text);
    REQUIRE(lines.size() > kSessionLines.size() + 1);
    CHECK(lines[0] == "The following commands are valid at this level:");
    const std::vector<std::string> commands(lines.begin() + 1, lines.end() - 3);
    check_layout(commands);
    CHECK(std::is_sorted(commands.begin(), commands.end()));
    CHECK(std::vector<std::string>(lines.end() - 3, lines.end()) == kSessionLines);
    for (const char* usage : {"  show status [json] ",
                              "  show sites [json] ",
                              "  show listeners [json] ",
                              "  show sessions [json] ",
                              "  pin <site> [--kill] ",
                              "  unpin ",
                              "  failback ",
                              "  set site <site> state <state> ",
                              "  reload ",
                              "  show info [desc|json|typed|float]* ",
                              "  show stat [desc|json|no-maint|typed|up]*",
                              "  show servers state [<backend>] ",
                              "  show servers conn [<backend>] ",
                              "  set server <bk>/<srv> [opts] ",
                              "  set weight <bk>/<srv>  (DEPRECATED) ",
                              "  get weight <bk>/<srv> ",
                              "  set timeout [cli] <delay> ",
                              "  show backend ",
                              "  show version ",
                              "  show env [var] ",
                              "  show sess [id] ",
                              "  disable server (DEPRECATED) ",
                              "  enable server  (DEPRECATED) "}) {
        INFO("missing: " << usage);
        CHECK(std::any_of(commands.begin(), commands.end(),
                          [&](const std::string& line) { return line.starts_with(usage); }));
    }
}

TEST_CASE("an empty command gets the whole list under HAProxy's \"Unknown command.\"",
          "[unit][admin]") {
    const auto lines = lines_of(unknown_command_text(""));
    const auto help = lines_of(help_text());
    REQUIRE_FALSE(lines.empty());
    CHECK(lines[0] == "Unknown command. Please enter one of the following commands only:");
    CHECK(std::vector<std::string>(lines.begin() + 1, lines.end()) ==
          std::vector<std::string>(help.begin() + 1, help.end()));
}

TEST_CASE("an unknown verb gets at most five near commands, then help, prompt and quit",
          "[unit][admin]") {
    for (const char* verb : {"foo", "shw", "x", "frobnicate", "pinn", "HELP", "setx"}) {
        INFO(verb);
        const auto lines = lines_of(unknown_command_text(verb));
        REQUIRE(lines.size() == 1 + 5 + 3);
        CHECK(lines[0] ==
              "Unknown command, but maybe one of the following ones is a better match:");
        const std::vector<std::string> near(lines.begin() + 1, lines.end() - 3);
        check_layout(near);
        CHECK(std::is_sorted(near.begin(), near.end()));  // in the list's order
        CHECK(std::vector<std::string>(lines.end() - 3, lines.end()) == kSessionLines);
        for (const std::string& line : near) {
            INFO(line);
            CHECK_FALSE(line.starts_with("  help "));
            CHECK_FALSE(line.starts_with("  prompt "));
            CHECK_FALSE(line.starts_with("  quit "));
        }
    }
}

TEST_CASE("the nearest commands are those whose first word is closest", "[unit][admin]") {
    const auto shw = lines_of(unknown_command_text("shw"));
    for (std::size_t i = 1; i <= 5; ++i) {
        INFO(shw[i]);
        CHECK(shw[i].starts_with("  show "));
    }
    const auto pinn = lines_of(unknown_command_text("pinn"));
    CHECK(std::any_of(pinn.begin(), pinn.end(),
                      [](const std::string& line) { return line.starts_with("  pin <site>"); }));
    const auto unpim = lines_of(unknown_command_text("unpim"));
    CHECK(std::any_of(unpim.begin(), unpim.end(),
                      [](const std::string& line) { return line.starts_with("  unpin "); }));
}

}  // namespace
}  // namespace lb::admin
