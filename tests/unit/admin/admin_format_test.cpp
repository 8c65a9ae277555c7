// The renderers behind the admin replies, without a socket: HAProxy CSV quoting and check-status
// mapping, ages, tables, error detection (the JSON writer's tests are in unit/base).
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "lb/admin/commands.h"
#include "lb/admin/haproxy_format.h"
#include "lb/admin/status_format.h"

namespace lb::admin {
namespace {

TEST_CASE("CSV cells are quoted the way HAProxy quotes them", "[unit][admin]") {
    CHECK(csv_cell("site-a") == "site-a");
    CHECK(csv_cell("") == "");
    CHECK(csv_cell("a,b") == "\"a,b\"");
    CHECK(csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
}

TEST_CASE("check causes map to HAProxy check statuses", "[unit][admin]") {
    using config::CheckKind;
    using health::CheckCause;
    struct Row {
        CheckKind kind;
        std::optional<CheckSummary> check;
        std::string_view status;
        int code;
        std::optional<int> http;
    };
    const auto ok = [](std::string reason, std::optional<int> http = {}) {
        return CheckSummary{true, CheckCause::Passed, http, std::move(reason), 1, 0};
    };
    const auto ko = [](CheckCause cause, std::string reason, std::optional<int> http = {}) {
        return CheckSummary{false, cause, http, std::move(reason), 1, 0};
    };
    const std::vector<Row> rows = {
        {CheckKind::Tcp, std::nullopt, "INI", 1, {}},
        {CheckKind::Tcp, ok("connected"), "L4OK", 6, {}},
        {CheckKind::Http, ok("http 200", 200), "L7OK", 15, 200},
        {CheckKind::Https, ok("http 302", 302), "L7OK", 15, 302},
        {CheckKind::Http, ko(CheckCause::BadStatus, "http 503", 503), "L7STS", 17, 503},
        {CheckKind::Http, ko(CheckCause::BodyMismatch, "http 200, body mismatch", 200), "L7STS", 17,
         200},
        {CheckKind::Http,
         ko(CheckCause::BadResponse, "http: malformed status line"),
         "L7RSP",
         13,
         {}},
        {CheckKind::Tcp, ko(CheckCause::ConnectRefused, "connect refused"), "L4CON", 8, {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectError, "connect: no route to host"),
         "L4CON",
         8,
         {}},
        {CheckKind::Tcp, ko(CheckCause::ConnectTimeout, "connect timeout"), "L4TOUT", 7, {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectTimeout, "timeout after 500ms (connect)"),
         "L4TOUT",
         7,
         {}},
        {CheckKind::Https,
         ko(CheckCause::TlsTimeout, "timeout after 500ms (tls handshake)"),
         "L6TOUT",
         10,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ResponseTimeout, "timeout after 500ms (response)"),
         "L7TOUT",
         12,
         {}},
        {CheckKind::Https,
         ko(CheckCause::TlsError, "tls handshake: certificate verify failed"),
         "L6RSP",
         11,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectRefused, "passive: connect refused"),
         "L4CON",
         8,
         {}},
        {CheckKind::Tcp,
         ko(CheckCause::SocketError, "socket: too many open files"),
         "SOCKERR",
         5,
         {}},
        {CheckKind::Http, ko(CheckCause::BadResponse, "connection reset"), "L7RSP", 13, {}},
    };
    for (const auto& row : rows) {
        SiteStatus site;
        site.check_kind = row.kind;
        site.last_check = row.check;
        INFO(config::to_string(row.kind) << " " << (row.check ? row.check->reason : "(none)"));
        const HaproxyCheck check = haproxy_check(site);
        CHECK(check.status == row.status);
        CHECK(check.status_code == row.code);
        CHECK(check.http_code == row.http);
    }
}

TEST_CASE("server status follows HAProxy's precedence: MAINT, DOWN, DRAIN, UP", "[unit][admin]") {
    using health::Health;
    using policy::AdminState;
    SiteStatus site;
    site.check_kind = config::CheckKind::Http;
    site.health = Health::Up;
    site.admin_state = AdminState::Ready;
    CHECK(haproxy_server_status(site) == "UP");
    site.admin_state = AdminState::Drain;
    CHECK(haproxy_server_status(site) == "DRAIN");
    site.health = Health::Down;
    CHECK(haproxy_server_status(site) == "DOWN");
    site.admin_state = AdminState::Maint;
    CHECK(haproxy_server_status(site) == "MAINT");
    site.admin_state = AdminState::Ready;
    site.health = Health::Unknown;
    CHECK(haproxy_server_status(site) == "no check");
}

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
    CHECK_FALSE(is_error_reply(""));
    CHECK_FALSE(is_error_reply("pinned site-b\n"));
    CHECK_FALSE(is_error_reply("# pxname,svname\n"));
    CHECK(error_reply("boom") == "error: boom\n");
    CHECK(error_reply("error: already") == "error: already\n");
    CHECK(error_reply("two\nlines") == "error: two lines\n");
}

}  // namespace
}  // namespace lb::admin
