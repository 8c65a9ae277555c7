// The renderers behind lb's own admin replies, without a socket: ages, tables, error detection
// (HAProxy's formats are in haproxy_*_test.cpp, the JSON writer's tests in unit/base).
#include <catch2/catch.hpp>
#include <string>

#include "lb/admin/commands.h"
#include "lb/admin/status_format.h"

namespace lb::admin {
namespace {

TEST_CASE("ages and uptimes read at a glance", "[unit][admin]") {
    CHECK(format_age(850) == "850ms");
    CHECK(format_age(4'210) == "4.2s");
    CHECK(format_age(42'000) == "42s");
    CHECK(format_age(303'000) == "5m03s");
    CHECK(format_age(7'500'000) == "2h05m");
    CHECK(format_age(273'600'000) == "3d04h");
    CHECK(format_uptime(0) == "0d 0h00m00s");
    CHECK(format_uptime(273'906) == "3d 4h05m06s");
}

TEST_CASE("tables align columns and keep every cell on its line", "[unit][admin]") {
    TextTable table({"NAME", "STATE", "NOTE"});
    table.add_row({"site-a", "ready", "ok"});
    table.add_row({"b", "", "two\nlines"});
    CHECK(table.render("  ") ==
          "  NAME    STATE  NOTE\n"
          "  site-a  ready  ok\n"
          "  b       -      two lines\n");
}

TEST_CASE("error replies are recognised, HAProxy's texts included", "[unit][admin]") {
    CHECK(is_error_reply("error: unknown command 'x'; try 'help'\n"));
    CHECK(is_error_reply("No such backend.\n"));
    CHECK(is_error_reply("No such server.\n"));
    CHECK(is_error_reply("Require 'backend/server'.\n"));
    CHECK(is_error_reply("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"));
    CHECK(is_error_reply("Can't find backend.\n"));
    CHECK(is_error_reply("No such proxy.\n"));
    CHECK(is_error_reply("Require <weight> or <weight%>.\n"));
    CHECK(is_error_reply("Absolute weight can only be between 0 and 256 inclusive.\n"));
    CHECK(is_error_reply("Empty weight string empty or preceded by garbage\n"));
    CHECK(is_error_reply("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"));
    CHECK(is_error_reply("'set timeout' only supports 'cli'.\n"));
    CHECK(is_error_reply("usage: set server <backend>/<server> addr | agent\n"));
    CHECK(
        is_error_reply("Unknown command, but maybe one of the following ones is a better "
                       "match:\n  help\n"));
    CHECK(is_error_reply("Unknown command. Please enter one of the following commands only:\n"));
    CHECK_FALSE(is_error_reply(""));
    CHECK_FALSE(is_error_reply("pinned site-b\n"));
    CHECK_FALSE(is_error_reply("# pxname,svname\n"));
    CHECK_FALSE(is_error_reply("1 (initial 1)\n"));
    CHECK_FALSE(is_error_reply("The following commands are valid at this level:\n"));
    CHECK(error_reply("boom") == "error: boom\n");
    CHECK(error_reply("error: already") == "error: already\n");
    CHECK(error_reply("two\nlines") == "error: two lines\n");
}

}  // namespace
}  // namespace lb::admin
