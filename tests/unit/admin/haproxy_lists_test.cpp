// HAProxy 2.6's list views and `show info` of a Status: backends, servers state and conn rows
// (numbered as `show stat`), `get weight`, `show sess`, and the info fields sitelb fills.
// Pure: a Status value in, text out.
#include "lb/admin/haproxy_lists.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "lb/admin/haproxy_info.h"
#include "tests/support/json_reader.h"
#include "tests/support/text_lines.h"

namespace lb::admin::haproxy {
namespace {

using lb::test::lines_of;

Status one_listener() {
    Status status;
    status.version = "0.1.0";
    status.pid = 4242;
    status.uptime_s = 93'784;
    status.max_connections = 1000;
    status.connections_active = 3;
    status.connections_total = 77;
    status.workers = 2;
    status.process.node = "lb1";
    status.process.ulimit_n = 4096;
    status.process.bytes_out_total = 5000;
    status.process.conn_rate = 4;
    status.process.conn_rate_max = 9;
    status.process.idle_pct = 97;
    SiteStatus a;
    a.name = "site-a";
    a.address = "10.0.0.11";
    a.health = health::Health::Up;
    a.check_kind = config::CheckKind::Tcp;
    a.last_check = CheckSummary{true, health::CheckCause::Passed, {}, "connected", 1, 0};
    a.last_change_age_s = 60;
    a.connections_active = 3;
    a.connections_max = 8;
    SiteStatus b = a;
    b.name = "site-b";
    b.role = config::SiteRole::Standby;
    b.address = "10.0.0.12";
    b.admin_state = policy::AdminState::Maint;
    b.weight = 0;
    status.sites = {a, b};
    ListenerStatus front;
    front.name = "front";
    front.target_port = 8080;
    front.site_ports = {8080, 9090};
    status.listeners = {front};
    return status;
}

TEST_CASE("show backend lists the listeners", "[unit][admin]") {
    CHECK(format_backends(one_listener()) == "# name\nfront\n");
    CHECK(format_backends(Status{}) == "# name\n");
}

TEST_CASE("show servers state numbers backends as show stat does", "[unit][admin]") {
    const Status status = one_listener();
    const auto reply = format_servers_state(status, std::nullopt);
    REQUIRE(reply.ok());
    const auto lines = lines_of(reply.value());
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "1");
    CHECK(lines[1].starts_with("# be_id be_name srv_id srv_name srv_addr "));
    // be_id 3 (the first backend's iid), op state 2 running, uweight 1, health 1 (rise = fall = 1).
    CHECK(lines[2] == "3 front 1 site-a 10.0.0.11 2 0 1 1 60 6 3 1 6 0 0 0 - 8080 - 0 0 - - 0");
    // Maintenance: stopped, admin 0x01, weight 0, health reset to 0 and checks paused (0x0e),
    // as HAProxy 2.6 prints them; its own port.
    CHECK(lines[3] == "3 front 2 site-b 10.0.0.12 0 1 0 1 60 6 3 0 14 0 0 0 - 9090 - 0 0 - - 0");
    CHECK(format_servers_state(status, "front").value() == reply.value());
    const auto unknown = format_servers_state(status, "nope");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error() == "Can't find backend.");
}

TEST_CASE("show servers conn: one row per listener and site, pools empty", "[unit][admin]") {
    const auto reply = format_servers_conn(one_listener(), std::nullopt);
    REQUIRE(reply.ok());
    const auto lines = lines_of(reply.value());
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] ==
          "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est "
          "unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]");
    CHECK(lines[1] == "front/site-a 3/1 10.0.0.11 8080 - 5000 3 8 0 0 0 -1 0 0 0");
    CHECK(lines[2] == "front/site-b 3/2 10.0.0.12 9090 - 5000 3 8 0 0 0 -1 0 0 0");
    CHECK(format_servers_conn(one_listener(), "nope").error() == "Can't find backend.");
}

TEST_CASE("get weight answers \"N (initial 1)\" or HAProxy's errors", "[unit][admin]") {
    const Status status = one_listener();
    CHECK(format_weight(status, "front", "site-a").value() == "1 (initial 1)\n");
    CHECK(format_weight(status, "front", "site-b").value() == "0 (initial 1)\n");
    CHECK(format_weight(status, "nope", "site-a").error() == "No such backend.");
    CHECK(format_weight(status, "front", "nope").error() == "No such server.");
    CHECK(find_server_error(status, "front", "site-a") == std::nullopt);
}

TEST_CASE("show sess: one line per connection", "[unit][admin]") {
    CHECK(format_sess({}).empty());
    const std::vector<SessionInfo> sessions = {
        {17, "10.1.2.3:51234", "front", "site-a", 4210, 100, 2000, "established"},
        {18, "[2001:db8::1]:40000", "front", "-", 20, 0, 0, "connecting"}};
    CHECK(format_sess(sessions) ==
          "0x11: proto=tcpv4 src=10.1.2.3:51234 fe=front be=front srv=site-a ts=00 age=4s\n"
          "0x12: proto=tcpv6 src=[2001:db8::1]:40000 fe=front be=front srv=<none> ts=00 age=0s\n");
}

TEST_CASE("show info carries sitelb's figures in HAProxy's fields", "[unit][admin]") {
    const Status status = one_listener();
    std::map<std::string, std::string> info;
    const std::string text = format_show_info(status, HaproxyFormat::Text);
    for (const std::string& line : lines_of(text)) {
        const auto colon = line.find(": ");
        INFO(line);
        REQUIRE(colon != std::string::npos);
        info[line.substr(0, colon)] = line.substr(colon + 2);
    }
    CHECK(text.starts_with("Name: sitelb\nVersion: 0.1.0\nRelease_date: " LB_RELEASE_DATE "\n"));
    CHECK(info["Nbthread"] == "2");
    CHECK(info["Pid"] == "4242");
    CHECK(info["Uptime"] == "1d 2h03m04s");
    CHECK(info["Uptime_sec"] == "93784");
    CHECK(info["Ulimit-n"] == "4096");
    CHECK(info["Maxconn"] == "1000");
    CHECK(info["CurrConns"] == "3");
    CHECK(info["CumConns"] == "77");
    CHECK(info["ConnRate"] == "4");
    CHECK(info["MaxConnRate"] == "9");
    CHECK(info["Idle_pct"] == "97");
    CHECK(info["node"] == "lb1");
    CHECK(info["Jobs"] == "4");  // connections plus listeners
    CHECK(info["Listeners"] == "1");
    CHECK(info["TotalBytesOut"] == "5000");
    CHECK(info["TotalSplicdedBytesOut"] == "5000");
    CHECK(info["Stopping"] == "0");
    CHECK(info["CumReq"] == "0");  // HAProxy's fields without a meaning here: 0
    CHECK(info.size() == 69);

    Status copying = status;
    copying.process.splice = false;
    copying.stopping = true;
    const std::string copy_text = format_show_info(copying, HaproxyFormat::Text);
    CHECK(copy_text.find("\nTotalSplicdedBytesOut: 0\n") != std::string::npos);
    CHECK(copy_text.find("\nStopping: 1\n") != std::string::npos);

    const std::string typed = format_show_info(status, HaproxyFormat::Typed);
    CHECK(typed.starts_with("0.Name.1:POS:str:sitelb\n1.Version.1:POS:str:0.1.0\n"));
    CHECK(lines_of(typed).size() == 69);
    const auto parsed = lb::test::json::parse(format_show_info(status, HaproxyFormat::Json));
    INFO(parsed.error);
    REQUIRE(parsed.value.has_value());
    CHECK(parsed.value->size() == 69);
}

}  // namespace
}  // namespace lb::admin::haproxy
