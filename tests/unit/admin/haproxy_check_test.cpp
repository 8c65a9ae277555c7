// How HAProxy would describe a site: check status (name, description, codes), the status column
// with its transitional "UP 2/3" / "DOWN 1/2" forms, the check health counter, and whether the
// site takes connections. Pure: SiteStatus values in, words out.
#include "lb/admin/haproxy_check.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lb::admin::haproxy {
namespace {

using config::CheckKind;
using health::CheckCause;
using health::Health;
using policy::AdminState;

TEST_CASE("check causes map to HAProxy check statuses", "[unit][admin]") {
    struct Row {
        CheckKind kind;
        std::optional<CheckSummary> check;
        std::string_view status;
        std::string_view description;
        int code;
        int result;  // CHK_RES_*: 0 unknown, 2 failed, 3 passed
        std::optional<int> http;
    };
    const auto ok = [](std::string reason, std::optional<int> http = {}) {
        return CheckSummary{true, CheckCause::Passed, http, std::move(reason), 1, 0};
    };
    const auto ko = [](CheckCause cause, std::string reason, std::optional<int> http = {}) {
        return CheckSummary{false, cause, http, std::move(reason), 1, 0};
    };
    const std::vector<Row> rows = {
        {CheckKind::Tcp, std::nullopt, "INI", "Initializing", 1, 0, {}},
        {CheckKind::Http, std::nullopt, "INI", "Initializing", 1, 0, {}},
        {CheckKind::Tcp, ok("connected"), "L4OK", "Layer4 check passed", 6, 3, {}},
        {CheckKind::Http, ok("http 200", 200), "L7OK", "Layer7 check passed", 15, 3, 200},
        {CheckKind::Https, ok("http 302", 302), "L7OK", "Layer7 check passed", 15, 3, 302},
        {CheckKind::Http, ko(CheckCause::BadStatus, "http 503", 503), "L7STS",
         "Layer7 wrong status", 17, 2, 503},
        {CheckKind::Http, ko(CheckCause::BodyMismatch, "http 200, body mismatch", 200), "L7STS",
         "Layer7 wrong status", 17, 2, 200},
        {CheckKind::Http,
         ko(CheckCause::BadResponse, "http: malformed status line"),
         "L7RSP",
         "Layer7 invalid response",
         13,
         2,
         {}},
        {CheckKind::Tcp,
         ko(CheckCause::ConnectRefused, "connect refused"),
         "L4CON",
         "Layer4 connection problem",
         8,
         2,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectError, "connect: no route to host"),
         "L4CON",
         "Layer4 connection problem",
         8,
         2,
         {}},
        {CheckKind::Tcp,
         ko(CheckCause::ConnectTimeout, "connect timeout"),
         "L4TOUT",
         "Layer4 timeout",
         7,
         2,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectTimeout, "timeout after 500ms (connect)"),
         "L4TOUT",
         "Layer4 timeout",
         7,
         2,
         {}},
        {CheckKind::Https,
         ko(CheckCause::TlsTimeout, "timeout after 500ms (tls handshake)"),
         "L6TOUT",
         "Layer6 timeout",
         10,
         2,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ResponseTimeout, "timeout after 500ms (response)"),
         "L7TOUT",
         "Layer7 timeout",
         12,
         2,
         {}},
        {CheckKind::Https,
         ko(CheckCause::TlsError, "tls handshake: certificate verify failed"),
         "L6RSP",
         "Layer6 invalid response",
         11,
         2,
         {}},
        {CheckKind::Http,
         ko(CheckCause::ConnectRefused, "passive: connect refused"),
         "L4CON",
         "Layer4 connection problem",
         8,
         2,
         {}},
        {CheckKind::Tcp,
         ko(CheckCause::SocketError, "socket: too many open files"),
         "SOCKERR",
         "Socket error",
         5,
         2,
         {}},
        {CheckKind::Http,
         ko(CheckCause::BadResponse, "connection reset"),
         "L7RSP",
         "Layer7 invalid response",
         13,
         2,
         {}},
    };
    for (const auto& row : rows) {
        SiteStatus site;
        site.check_kind = row.kind;
        site.last_check = row.check;
        INFO(config::to_string(row.kind) << " " << (row.check ? row.check->reason : "(none)"));
        const CheckStatus check = check_status(site);
        CHECK(check.status == row.status);
        CHECK(check.description == row.description);
        CHECK(check.status_code == row.code);
        CHECK(check.result == row.result);
        CHECK(check.http_code == row.http);
    }
}

TEST_CASE("only http and https checks are layer 7", "[unit][admin]") {
    SiteStatus site;
    CHECK_FALSE(is_layer7(site));
    site.check_kind = CheckKind::Tcp;
    CHECK_FALSE(is_layer7(site));
    site.check_kind = CheckKind::Http;
    CHECK(is_layer7(site));
    site.check_kind = CheckKind::Https;
    CHECK(is_layer7(site));
}

SiteStatus checked(Health health, int rise, int fall) {
    SiteStatus site;
    site.check_kind = CheckKind::Http;
    site.health = health;
    site.rise = rise;
    site.fall = fall;
    return site;
}

TEST_CASE("server status follows HAProxy's precedence: MAINT, DOWN, DRAIN, UP", "[unit][admin]") {
    SiteStatus site = checked(Health::Up, 2, 3);
    CHECK(server_status(site) == "UP");
    site.admin_state = AdminState::Drain;
    CHECK(server_status(site) == "DRAIN");
    site.health = Health::Down;
    CHECK(server_status(site) == "DOWN");
    site.admin_state = AdminState::Maint;
    CHECK(server_status(site) == "MAINT");
    site.health = Health::Up;
    CHECK(server_status(site) == "MAINT");
    site.admin_state = AdminState::Ready;
    site.health = Health::Unknown;
    CHECK(server_status(site) == "no check");
    site.admin_state = AdminState::Drain;
    CHECK(server_status(site) == "DRAIN");
}

TEST_CASE("a site without a check is \"no check\" whatever its health", "[unit][admin]") {
    SiteStatus site;
    site.health = Health::Up;
    CHECK(server_status(site) == "no check");
    site.health = Health::Down;
    CHECK(server_status(site) == "no check");
    site.admin_state = AdminState::Drain;
    CHECK(server_status(site) == "DRAIN");
    site.admin_state = AdminState::Maint;
    CHECK(server_status(site) == "MAINT");
}

TEST_CASE("a streak under way shows as HAProxy's transitional status", "[unit][admin]") {
    // Up, failing (rise 2, fall 3): "UP 2/3" after one failure, "UP 1/3" after two.
    SiteStatus up = checked(Health::Up, 2, 3);
    up.consecutive_failures = 1;
    CHECK(server_status(up) == "UP 2/3");
    CHECK(check_health(up) == 3);
    up.consecutive_failures = 2;
    CHECK(server_status(up) == "UP 1/3");
    CHECK(check_health(up) == 2);
    up.admin_state = AdminState::Drain;
    CHECK(server_status(up) == "DRAIN 1/3");
    up.admin_state = AdminState::Maint;
    CHECK(server_status(up) == "MAINT");

    // Down, recovering (rise 2): "DOWN 1/2" after one success.
    SiteStatus down = checked(Health::Down, 2, 3);
    down.consecutive_successes = 1;
    CHECK(server_status(down) == "DOWN 1/2");
    CHECK(check_health(down) == 1);
    down.consecutive_successes = 0;
    down.consecutive_failures = 5;
    CHECK(server_status(down) == "DOWN");
    CHECK(check_health(down) == 0);
}

TEST_CASE("the check health counter spans 0..rise+fall-1 as in HAProxy", "[unit][admin]") {
    SiteStatus up = checked(Health::Up, 2, 3);
    CHECK(check_health(up) == 4);  // rise + fall - 1: fully up
    up.consecutive_successes = 7;  // successes while up change nothing
    CHECK(check_health(up) == 4);
    SiteStatus down = checked(Health::Down, 2, 3);
    CHECK(check_health(down) == 0);
    SiteStatus unknown = checked(Health::Unknown, 2, 3);
    unknown.consecutive_successes = 1;
    CHECK(check_health(unknown) == 1);
    SiteStatus single = checked(Health::Up, 1, 1);
    CHECK(check_health(single) == 1);
}

TEST_CASE("a site takes new connections when running, ready and weighted", "[unit][admin]") {
    SiteStatus site = checked(Health::Up, 1, 1);
    CHECK(running(site));
    CHECK(usable(site));
    site.weight = 0;
    CHECK(running(site));
    CHECK_FALSE(usable(site));
    site.weight = 1;
    site.admin_state = AdminState::Drain;
    CHECK(running(site));
    CHECK_FALSE(usable(site));
    site.admin_state = AdminState::Maint;
    CHECK_FALSE(running(site));
    CHECK_FALSE(usable(site));
    site.admin_state = AdminState::Ready;
    site.health = Health::Down;
    CHECK_FALSE(running(site));
    CHECK_FALSE(usable(site));
    site.health = Health::Unknown;  // not known yet: traffic flows, as to unchecked servers
    CHECK(running(site));
    CHECK(usable(site));
}

TEST_CASE("a listener's server port is the site's override or the target port", "[unit][admin]") {
    ListenerStatus l;
    l.target_port = 443;
    CHECK(server_port(l, 0) == 443);
    CHECK(server_port(l, 1) == 443);
    l.site_ports = {443, 8443};
    CHECK(server_port(l, 0) == 443);
    CHECK(server_port(l, 1) == 8443);
    CHECK(server_port(l, 2) == 443);
}

}  // namespace
}  // namespace lb::admin::haproxy
