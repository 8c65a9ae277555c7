// The HAProxy runtime-API subset as existing scripts use it (`echo "show stat" | socat ...`):
// exact CSV header, one row per frontend/server/backend, HAProxy's state file format, and
// HAProxy's replies to `set/disable/enable server`, errors included.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "tests/component/admin/admin_fixture.h"
#include "tests/support/haproxy_reference.h"
#include "tests/support/text_lines.h"

namespace lb::admin::test {
namespace {

using lb::test::lines_of;
using lb::test::split;

using Row = std::map<std::string, std::string>;

// Rows keyed "pxname/svname", each cell by header name.
std::map<std::string, Row> parse_stat(const std::string& body) {
    const auto lines = lines_of(body);
    REQUIRE_FALSE(lines.empty());
    REQUIRE(lines[0] == lb::test::kHaproxy26StatHeader);
    const auto header = split(lines[0].substr(2), ',');
    std::map<std::string, Row> rows;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto cells = split(lines[i], ',');
        INFO(lines[i]);
        REQUIRE(cells.size() == header.size());
        Row row;
        for (std::size_t c = 0; c < header.size(); ++c) row[header[c]] = cells[c];
        CHECK(row["-"] == "-");
        rows[row["pxname"] + "/" + row["svname"]] = row;
    }
    return rows;
}

TEST_CASE("show stat: HAProxy's columns, a row per frontend, server, backend",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    auto rows = parse_stat(f.ask(client, "show stat"));
    REQUIRE(rows.size() == 8);  // two listeners × (FRONTEND + two sites + BACKEND)

    Row& fe = rows.at("https/FRONTEND");
    CHECK(fe["status"] == "OPEN");
    CHECK(fe["type"] == "0");
    CHECK(fe["scur"] == "5");
    CHECK(fe["slim"] == "20000");
    CHECK(fe["stot"] == "1000");
    CHECK(fe["bin"] == "800");
    CHECK(fe["bout"] == "8000");
    CHECK(fe["mode"] == "tcp");
    CHECK(fe["iid"] == "2");  // HAProxy's numbering of `frontend https` + `backend https`

    Row& a = rows.at("https/site-a");
    CHECK(a["status"] == "UP");
    CHECK(a["type"] == "2");
    CHECK(a["act"] == "1");
    CHECK(a["bck"] == "0");
    CHECK(a["weight"] == "1");
    CHECK(a["check_status"] == "L7OK");
    CHECK(a["check_code"] == "200");
    CHECK(a["check_duration"] == "2");
    CHECK(a["check_desc"] == "Layer7 check passed");
    CHECK(a["chkfail"] == "4");
    CHECK(a["lastchg"] == "3600");
    CHECK(a["econ"] == "1");
    CHECK(a["addr"] == "10.0.0.11:443");
    CHECK(a["sid"] == "1");
    CHECK(a["qlimit"].empty());  // not meaningful here: left empty, as HAProxy does

    Row& b = rows.at("https/site-b");
    CHECK(b["status"] == "DOWN");
    CHECK(b["act"] == "0");
    CHECK(b["bck"] == "1");
    CHECK(b["weight"] == "1");  // the user weight, as HAProxy prints a down server's
    CHECK(b["check_status"] == "L4CON");
    CHECK(b["check_code"].empty());
    CHECK(b["last_chk"] == "connect refused");

    Row& be = rows.at("https/BACKEND");
    CHECK(be["status"] == "UP");
    CHECK(be["type"] == "1");
    CHECK(be["act"] == "1");
    CHECK(be["bck"] == "0");
    CHECK(be["weight"] == "1");       // the usable primary's
    CHECK(be["lastchg"] == "93784");  // up since start: the uptime

    CHECK(rows.at("ssh/site-a")["addr"] == "10.0.0.11:2222");
    CHECK(rows.at("ssh/FRONTEND")["dcon"] == "1");
    CHECK(rows.at("ssh/BACKEND")["iid"] == "5");

    f.controller.canned.sites[0].admin_state = policy::AdminState::Drain;
    f.controller.canned.sites[1].admin_state = policy::AdminState::Maint;
    rows = parse_stat(f.ask(client, "show stat"));
    CHECK(rows.at("https/site-a")["status"] == "DRAIN");
    CHECK(rows.at("https/site-b")["status"] == "MAINT");
    f.controller.canned.sites[0].admin_state = policy::AdminState::Maint;
    rows = parse_stat(f.ask(client, "show stat"));
    CHECK(rows.at("https/BACKEND")["status"] == "DOWN");
}

TEST_CASE("show info: HAProxy-style Key: value lines", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    std::map<std::string, std::string> info;
    for (const std::string& line : lines_of(f.ask(client, "show info"))) {
        const auto colon = line.find(": ");
        INFO(line);
        REQUIRE(colon != std::string::npos);
        info[line.substr(0, colon)] = line.substr(colon + 2);
    }
    CHECK(info["Name"] == "sitelb");
    CHECK(info["Version"] == "0.1.0");
    CHECK(info["Pid"] == "4242");
    CHECK(info["Uptime"] == "1d 2h03m04s");
    CHECK(info["Uptime_sec"] == "93784");
    CHECK(info["CurrConns"] == "7");
    CHECK(info["CumConns"] == "1234");
    CHECK(info["Maxconn"] == "20000");
    CHECK(info["Nbthread"] == "2");
}

TEST_CASE("show servers state: HAProxy's state file format", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    const auto lines = lines_of(f.ask(client, "show servers state"));
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "1");
    CHECK(lines[1] ==
          "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
          "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
          "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
          "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
          "srv_agent_port");
    // be_id is the backend's iid (as in show stat); weights are user and initial weight, 1.
    CHECK(lines[2] == "3 https 1 site-a 10.0.0.11 2 0 1 1 3600 15 3 1 6 0 0 0 - 443 - 0 0 - - 0");
    CHECK(lines[3] == "3 https 2 site-b 10.0.0.12 0 0 1 1 120 8 2 0 6 0 0 0 - 443 - 0 0 - - 0");
    CHECK(lines[5].starts_with("5 ssh 2 site-b 10.0.0.12 "));
    for (std::size_t i = 2; i < lines.size(); ++i) CHECK(split(lines[i], ' ').size() == 25);

    f.controller.canned.sites[1].admin_state = policy::AdminState::Maint;
    const auto ssh = lines_of(f.ask(client, "show servers state ssh"));
    REQUIRE(ssh.size() == 4);
    CHECK(ssh[3].starts_with("5 ssh 2 site-b 10.0.0.12 0 1 "));
    CHECK(f.ask(client, "show servers state nope") == "Can't find backend.\n");
}

TEST_CASE("set, disable and enable server act on the site", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "set server https/site-b state drain") == "");  // HAProxy: empty reply
    CHECK(f.ask(client, "disable server ssh/site-a") == "");
    CHECK(f.ask(client, "enable server ssh/site-a") == "");
    CHECK(f.ask(client, "set server nope/site-a state ready") == "No such backend.\n");
    CHECK(f.ask(client, "disable server https/site-z") == "No such server.\n");
    CHECK(f.ask(client, "enable server https") == "Require 'backend/server'.\n");
    CHECK(f.ask(client, "set server https/site-a state up") ==
          "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
    std::vector<std::string> changes;
    for (const std::string& call : f.controller.calls)
        if (call != "status") changes.push_back(call);
    CHECK(changes == std::vector<std::string>{"set_site_state site-b drain",
                                              "set_site_state site-a maint",
                                              "set_site_state site-a ready"});
}

TEST_CASE("set server health and weight reach the Controller, get weight reads it back",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "get weight https/site-a") == "1 (initial 1)\n");
    CHECK(f.ask(client, "set server https/site-b health up") == "");
    CHECK(f.ask(client, "set server ssh/site-a health stopping") == "");
    CHECK(f.ask(client, "set server https/site-a health down") == "");
    CHECK(f.ask(client, "set server https/site-a weight 0") == "");
    CHECK(f.ask(client, "get weight https/site-a") == "0 (initial 1)\n");
    CHECK(f.ask(client, "get weight ssh/site-a") == "0 (initial 1)\n");  // the site's, per site
    CHECK(f.ask(client, "set weight ssh/site-a 100%") == "");
    CHECK(f.ask(client, "get weight https/site-a") == "1 (initial 1)\n");
    CHECK(f.ask(client, "set server https/site-b weight 50%") == "");
    CHECK(f.ask(client, "get weight https/site-b") == "0 (initial 1)\n");

    // Refused before the Controller is asked: HAProxy's texts.
    CHECK(f.ask(client, "set server https/site-z health up") == "No such server.\n");
    CHECK(f.ask(client, "set server nope/site-a weight 1") == "No such backend.\n");
    CHECK(f.ask(client, "set server https/site-a weight 300") ==
          "Absolute weight can only be between 0 and 256 inclusive.\n");
    CHECK(f.ask(client, "set server https/site-a health sideways") ==
          "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
    CHECK(f.ask(client, "set weight https/site-a") == "Require <weight> or <weight%>.\n");
    CHECK(f.ask(client, "get weight https/site-z") == "No such server.\n");
    CHECK(f.ask(client, "get weight nope/site-a") == "No such backend.\n");
    CHECK(f.ask(client, "get weight https") == "Require 'backend/server'.\n");

    std::vector<std::string> changes;
    for (const std::string& call : f.controller.calls)
        if (call != "status") changes.push_back(call);
    CHECK(changes ==
          std::vector<std::string>{"set_site_health site-b up", "set_site_health site-a stopping",
                                   "set_site_health site-a down", "set_site_weight site-a 0",
                                   "set_site_weight site-a 1", "set_site_weight site-b 0"});
}

TEST_CASE("show stat follows health and weight set through the socket", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "set server https/site-a weight 0") == "");
    auto rows = parse_stat(f.ask(client, "show stat"));
    CHECK(rows.at("https/site-a")["weight"] == "0");
    CHECK(rows.at("https/site-a")["uweight"] == "0");
    CHECK(rows.at("https/BACKEND")["status"] == "DOWN");  // site-a drained, site-b down
    CHECK(f.ask(client, "set server https/site-b health up") == "");
    rows = parse_stat(f.ask(client, "show stat"));
    CHECK(rows.at("https/site-b")["status"] == "UP");
    CHECK(rows.at("https/BACKEND")["status"] == "UP");
    CHECK(rows.at("https/BACKEND")["bck"] == "1");
    CHECK(rows.at("https/BACKEND")["act"] == "0");
}

}  // namespace
}  // namespace lb::admin::test
