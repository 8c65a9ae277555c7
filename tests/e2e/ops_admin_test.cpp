// End-to-end tests of the admin socket and `lb ctl` against a real lb in front of two real
// backends: every command in text and JSON, checked against what the backends actually saw.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "tests/e2e/ops_fixture.h"

namespace lb::test::ops {
namespace {

const json::Value& site_of(const json::Value& document, std::string_view name) {
    return by_name(document["sites"], name);
}

StatCsv show_stat(const std::filesystem::path& socket) {
    const std::string reply = admin(socket, "show stat");
    std::string error;
    auto stat = parse_show_stat(reply, error);
    INFO("show stat:\n" << reply << "parse error: " << error);
    REQUIRE(stat.has_value());
    return std::move(*stat);
}

TEST_CASE("admin: show status/sites/listeners/sessions/info, text and JSON, match the traffic",
          "[e2e][ops][admin]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    const std::string help = admin(sock, "help");
    CHECK(help.starts_with("The following commands are valid at this level:\n"));
    for (const char* command :
         {"show status [json]", "show sites [json]", "show listeners [json]",
          "show sessions [json]", "pin <site> [--kill]", "unpin", "failback",
          "set site <site> state <state>", "reload", "show info", "show stat", "show servers state",
          "set server <bk>/<srv> [opts]", "disable server", "enable server",
          "get weight <bk>/<srv>", "prompt", "quit"}) {
        INFO("help:\n" << help << "missing: " << command);
        CHECK(help.find(command) != std::string::npos);
    }

    const json::Value initial = admin_json(sock, "show status json");
    CHECK(initial["active_site"].string() == "site-a");
    CHECK(initial["pinned_site"].is_null());
    CHECK(u64(initial["pid"]) == static_cast<std::uint64_t>(lb->pid()));
    CHECK(u64(initial["connections_total"]) == 0);
    CHECK(u64(initial["workers"]) == 2);
    CHECK(u64(initial["max_connections"]) == 1000);
    {
        const json::Value& a = site_of(initial, "site-a");
        CHECK(a["role"].string() == "primary");
        CHECK(a["address"].string() == kSiteA);
        CHECK(a["health"].string() == "up");
        CHECK(a["admin_state"].string() == "ready");
        CHECK(a["active"].boolean());
        CHECK_FALSE(a["pinned"].boolean());
        CHECK(a["check_kind"].string() == "tcp");
        CHECK(a["last_check"]["ok"].boolean());
        const json::Value& b = site_of(initial, "site-b");
        CHECK(b["role"].string() == "standby");
        CHECK(b["address"].string() == kSiteB);
        CHECK(b["health"].string() == "up");
        CHECK_FALSE(b["active"].boolean());
        REQUIRE(initial["listeners"].size() == 1);
        const json::Value& front = initial["listeners"][0];
        CHECK(front["name"].string() == "front");
        CHECK(front["bind"].string() == endpoint(kClientIp, rig.front.port));
        CHECK(u64(front["target_port"]) == rig.sites.port());
    }

    // Three connections of different sizes, each checked end to end.
    std::uint64_t bytes = 0;
    for (const std::size_t size : {std::size_t{1000}, std::size_t{20000}, std::size_t{300000}}) {
        CHECK(transfer(rig.front, rig.sites, size, size) == "site-a");
        bytes += size;
    }
    const json::Value status = require_status(
        sock,
        [](const json::Value& s) {
            return s["connections_total"].literal() == "3" &&
                   s["connections_active"].literal() == "0";
        },
        "3 connections done");
    {
        const json::Value& a = site_of(status, "site-a");
        CHECK(u64(a["connections_total"]) == 3);
        CHECK(u64(a["connections_active"]) == 0);
        CHECK(u64(a["connections_max"]) >= 1);
        CHECK(u64(a["bytes_to_site"]) == bytes);
        CHECK(u64(a["bytes_to_client"]) == bytes);
        CHECK(u64(a["connect_errors_total"]) == 0);
        const json::Value& b = site_of(status, "site-b");
        CHECK(u64(b["connections_total"]) == 0);
        CHECK(u64(b["bytes_to_site"]) == 0);
        const json::Value& front = status["listeners"][0];
        CHECK(u64(front["connections_total"]) == 3);
        CHECK(u64(front["bytes_client_to_site"]) == bytes);
        CHECK(u64(front["bytes_site_to_client"]) == bytes);
        CHECK(u64(front["rejected_total"]) == 0);
    }
    // `show sites json` and `show listeners json` are the same snapshot's parts.
    {
        const json::Value sites = admin_json(sock, "show sites json");
        REQUIRE(sites["sites"].size() == 2);
        CHECK(u64(site_of(sites, "site-a")["connections_total"]) == 3);
        CHECK(u64(site_of(sites, "site-a")["bytes_to_site"]) == bytes);
        CHECK(site_of(sites, "site-a")["health"].string() == "up");
        const json::Value listeners = admin_json(sock, "show listeners json");
        REQUIRE(listeners["listeners"].size() == 1);
        CHECK(u64(by_name(listeners["listeners"], "front")["bytes_site_to_client"]) == bytes);
    }
    // The text forms say the same.
    {
        const std::string text = admin(sock, "show status");
        const auto fields = key_values(text);
        INFO("show status:\n" << text);
        CHECK(fields.at("active site") == "site-a");
        CHECK(fields.at("pinned site") == "-");
        CHECK(fields.at("pid") == std::to_string(lb->pid()));
        CHECK(fields.at("connections").starts_with("0 active, 3 total"));
        CHECK(text.find("front") != std::string::npos);
    }
    {
        const std::string text = admin(sock, "show sites");
        INFO("show sites:\n" << text);
        const auto rows = table_rows(text, 12);
        REQUIRE(rows.size() == 2);
        const auto& a = rows[0];
        CHECK(a.at("NAME") == "site-a");
        CHECK(a.at("ROLE") == "primary");
        CHECK(a.at("ADDRESS") == kSiteA);
        CHECK(a.at("CHECK") == "tcp");
        CHECK(a.at("HEALTH") == "up");
        CHECK(a.at("STATE") == "ready");
        CHECK(a.at("ACTIVE") == "yes");
        CHECK(a.at("PINNED") == "no");
        CHECK(a.at("TOTAL") == "3");
        CHECK(rows[1].at("NAME") == "site-b");
        CHECK(rows[1].at("ACTIVE") == "no");
        CHECK(rows[1].at("TOTAL") == "0");
    }
    {
        const std::string text = admin(sock, "show listeners");
        INFO("show listeners:\n" << text);
        const auto rows = table_rows(text, 9);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].at("NAME") == "front");
        CHECK(rows[0].at("BIND") == endpoint(kClientIp, rig.front.port));
        CHECK(rows[0].at("TOTAL") == "3");
        CHECK(rows[0].at("TO_SITE") == std::to_string(bytes));
        CHECK(rows[0].at("TO_CLIENT") == std::to_string(bytes));
    }
    {
        const std::string text = admin(sock, "show info");
        INFO("show info:\n" << text);
        const auto info = key_values(text);
        CHECK(info.at("Name") == "sitelb");
        CHECK(info.at("Pid") == std::to_string(lb->pid()));
        CHECK(info.at("Nbthread") == "2");
        CHECK(info.at("Maxconn") == "1000");
        CHECK(info.at("CurrConns") == "0");
        CHECK(info.at("CumConns") == "3");
        CHECK(info.at("Listeners") == "1");
    }

    // An open session, listed with its client address.
    Session session = open_session(rig.front, rig.sites);
    CHECK(session.site == "site-a");
    const std::string client = endpoint(kClientIp, session.client_port);
    const json::Value sessions = admin_json(sock, "show sessions json");
    INFO("show sessions json: " << admin(sock, "show sessions json"));
    REQUIRE(sessions["sessions"].size() == 1);
    const json::Value& listed = sessions["sessions"][0];
    CHECK(listed["client"].string() == client);
    CHECK(listed["listener"].string() == "front");
    CHECK(listed["site"].string() == "site-a");
    CHECK(listed["state"].string() == "established");
    CHECK(u64(listed["bytes_to_site"]) == session.greeting_bytes);
    CHECK(u64(listed["bytes_to_client"]) == session.greeting_bytes);
    {
        const std::string text = admin(sock, "show sessions");
        INFO("show sessions:\n" << text);
        const auto rows = table_rows(text, 5);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].at("CLIENT") == client);
        CHECK(rows[0].at("SITE") == "site-a");
        CHECK(rows[0].at("LISTENER") == "front");
    }
    CHECK(u64(admin_json(sock, "show status json")["connections_active"]) == 1);

    session.fd.reset();
    (void)require_status(
        sock, [](const json::Value& s) { return s["connections_active"].literal() == "0"; },
        "the session closed");
    CHECK(admin_json(sock, "show sessions json")["sessions"].size() == 0);
    CHECK(admin(sock, "show sessions") == "no open sessions\n");
    CHECK(lb->running());
}

TEST_CASE(
    "admin: show stat is HAProxy CSV whose counters move with traffic, and show servers state",
    "[e2e][ops][admin][haproxy]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    const StatCsv before = show_stat(sock);
    REQUIRE(before.header.size() >= 2);
    CHECK(before.header[0] == "pxname");
    CHECK(before.header[1] == "svname");
    REQUIRE(before.rows.size() == 4);  // FRONTEND, one row per site, BACKEND
    CHECK(before.rows[0].at("svname") == "FRONTEND");
    CHECK(before.rows[1].at("svname") == "site-a");
    CHECK(before.rows[2].at("svname") == "site-b");
    CHECK(before.rows[3].at("svname") == "BACKEND");
    for (const auto& row : before.rows) CHECK(row.at("pxname") == "front");
    CHECK(before.row("FRONTEND")->at("status") == "OPEN");
    CHECK(before.row("site-a")->at("status") == "UP");
    CHECK(before.row("site-b")->at("status") == "UP");
    CHECK(before.row("BACKEND")->at("status") == "UP");
    CHECK(before.row("site-a")->at("addr") == endpoint(kSiteA, rig.sites.port()));
    CHECK(before.row("site-b")->at("addr") == endpoint(kSiteB, rig.sites.port()));
    CHECK(before.row("site-a")->at("act") == "1");
    CHECK(before.row("site-b")->at("bck") == "1");
    CHECK(before.row("site-a")->at("check_status") == "L4OK");

    // Two finished connections and one left open.
    std::uint64_t bytes = 0;
    for (const std::size_t size : {std::size_t{7000}, std::size_t{70000}}) {
        REQUIRE(transfer(rig.front, rig.sites, size, size + 1) == "site-a");
        bytes += size;
    }
    Session open = open_session(rig.front, rig.sites);
    REQUIRE(open.site == "site-a");
    const std::string more(5000, 'm');
    REQUIRE(echo_once(open.fd.get(), more));
    const std::uint64_t open_bytes = open.greeting_bytes + more.size();
    bytes += open_bytes;

    StatCsv after;
    const bool settled = wait_until(
        [&] {
            after = show_stat(sock);
            // bout moves when lb's write to the client completes, which may be a moment after
            // the client has read the bytes.
            return after.row("site-a") != nullptr &&
                   stat_number(*after.row("site-a"), "bin") ==
                       stat_number(*before.row("site-a"), "bin") + bytes &&
                   stat_number(*after.row("site-a"), "bout") ==
                       stat_number(*before.row("site-a"), "bout") + bytes;
        },
        deadline_in(5s), 20ms);
    INFO("show stat:\n" << admin(sock, "show stat"));
    CHECK(settled);
    for (const std::string row : {"FRONTEND", "site-a", "BACKEND"}) {
        INFO("row " << row);
        const auto& was = *before.row(row);
        const auto& now = *after.row(row);
        CHECK(stat_number(now, "scur") == 1);
        CHECK(stat_number(now, "stot") == stat_number(was, "stot") + 3);
        CHECK(stat_number(now, "bin") == stat_number(was, "bin") + bytes);
        CHECK(stat_number(now, "bout") == stat_number(was, "bout") + bytes);
    }
    CHECK(stat_number(*after.row("site-b"), "scur") == 0);
    CHECK(stat_number(*after.row("site-b"), "stot") == stat_number(*before.row("site-b"), "stot"));
    CHECK(stat_number(*after.row("site-a"), "smax") >= 1);

    // show servers state: the version line, the field names, one row per site.
    const std::string state = admin(sock, "show servers state");
    INFO("show servers state:\n" << state);
    std::istringstream lines(state);
    std::string version, header;
    REQUIRE(std::getline(lines, version));
    REQUIRE(std::getline(lines, header));
    CHECK(version == "1");
    REQUIRE(header.starts_with("# "));
    std::vector<std::string> fields;
    {
        std::istringstream in(header.substr(2));
        for (std::string f; in >> f;) fields.push_back(f);
    }
    CHECK(fields.size() == 25);
    std::vector<std::map<std::string, std::string>> servers;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream in(line);
        std::vector<std::string> cells;
        for (std::string cell; in >> cell;) cells.push_back(cell);
        INFO("row: " << line);
        REQUIRE(cells.size() == fields.size());
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < fields.size(); ++i) row[fields[i]] = cells[i];
        servers.push_back(std::move(row));
    }
    REQUIRE(servers.size() == 2);
    CHECK(servers[0].at("be_name") == "front");
    CHECK(servers[0].at("srv_name") == "site-a");
    CHECK(servers[0].at("srv_addr") == kSiteA);
    CHECK(servers[0].at("srv_op_state") == "2");     // SRV_ST_RUNNING
    CHECK(servers[0].at("srv_admin_state") == "0");  // no maint, no drain
    CHECK(servers[0].at("be_id") == "3");            // the backend's iid, as in show stat
    CHECK(servers[0].at("srv_uweight") == "1");      // the user weight, 1 unless set
    CHECK(servers[0].at("srv_port") == std::to_string(rig.sites.port()));
    CHECK(servers[1].at("srv_name") == "site-b");
    CHECK(servers[1].at("srv_op_state") == "2");
    CHECK(servers[1].at("srv_uweight") == "1");  // the standby too: weight is not activity
    CHECK(admin(sock, "show servers state front") == state);
    CHECK(admin(sock, "show servers state nope") == "Can't find backend.\n");
}

TEST_CASE("admin: pin site-b sends new connections there, survives a restart, until unpin",
          "[e2e][ops][admin][pin]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    const std::string reply = admin(sock, "pin site-b");
    INFO("pin site-b: " << reply);
    CHECK_FALSE(is_error(reply));
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(status["active_site"].string() == "site-b");
        CHECK(status["pinned_site"].string() == "site-b");
        CHECK(site_of(status, "site-b")["pinned"].boolean());
        CHECK(site_of(status, "site-b")["active"].boolean());
        CHECK_FALSE(site_of(status, "site-a")["active"].boolean());
    }
    for (int i = 0; i < 3; ++i) CHECK(route_of(rig.front, rig.sites) == "site-b");
    CHECK(admin(sock, "pin nowhere").starts_with("error:"));
    CHECK(admin(sock, "pin").starts_with("error:"));

    // Restart: the state file brings the pin back.
    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    CHECK(stopped.exited);
    CHECK(stopped.exit_code == 0);
    lb = start_lb(rig.ws);
    require_sites_up(sock);
    {
        const auto ready = lb->wait_for_log(
            [](std::string_view line) { return message_starts_with(line, "ready: "); },
            deadline_in(1s));
        REQUIRE(ready);
        INFO("ready line: " << *ready);
        CHECK(ready->find("active site site-b (pinned)") != std::string::npos);
        const json::Value status = admin_json(sock, "show status json");
        CHECK(status["active_site"].string() == "site-b");
        CHECK(status["pinned_site"].string() == "site-b");
    }
    for (int i = 0; i < 2; ++i) CHECK(route_of(rig.front, rig.sites) == "site-b");

    const std::string unpinned = admin(sock, "unpin");
    INFO("unpin: " << unpinned);
    CHECK_FALSE(is_error(unpinned));
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(status["pinned_site"].is_null());
        CHECK_FALSE(site_of(status, "site-b")["pinned"].boolean());
        // Sticky: unpinning moves nothing while site-b is up (failback = manual).
        CHECK(status["active_site"].string() == "site-b");
    }
    CHECK(admin(sock, "unpin").find("no site is pinned") != std::string::npos);

    // And the unpin survives a restart too.
    CHECK(lb->stop(SIGTERM, deadline_in(10s)).exit_code == 0);
    lb = start_lb(rig.ws);
    const json::Value status = admin_json(sock, "show status json");
    CHECK(status["pinned_site"].is_null());
    CHECK(status["active_site"].string() == "site-b");
}

TEST_CASE("admin: pin site-a --kill closes the sessions on site-b, a plain pin closes none",
          "[e2e][ops][admin][pin]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    Session on_a = open_session(rig.front, rig.sites);
    REQUIRE(on_a.site == "site-a");
    REQUIRE_FALSE(is_error(admin(sock, "pin site-b")));
    Session on_b = open_session(rig.front, rig.sites);
    REQUIRE(on_b.site == "site-b");
    INFO("lb log:\n" << lb->log_text());
    CHECK(echo_once(on_a.fd.get(), "site-a's session survives a plain pin"));

    const std::string reply = admin(sock, "pin site-a --kill");
    INFO("pin site-a --kill: " << reply);
    CHECK_FALSE(is_error(reply));
    CHECK(reply.find("closing the sessions on site-b") != std::string::npos);
    CHECK(is_closed_within(on_b.fd.get(), deadline_in(5s)));
    CHECK(echo_once(on_a.fd.get(), "site-a's session is not touched by --kill"));
    CHECK(route_of(rig.front, rig.sites) == "site-a");
    const json::Value status = admin_json(sock, "show status json");
    CHECK(status["pinned_site"].string() == "site-a");
    CHECK(status["active_site"].string() == "site-a");
    CHECK_FALSE(is_error(admin(sock, "unpin")));
}

TEST_CASE("admin: drain keeps site-a's sessions and sends new ones to site-b, maint closes them",
          "[e2e][ops][admin][drain]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    Session on_a = open_session(rig.front, rig.sites);
    REQUIRE(on_a.site == "site-a");
    const std::string drained = admin(sock, "set site site-a state drain");
    INFO("drain: " << drained);
    CHECK_FALSE(is_error(drained));
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(site_of(status, "site-a")["admin_state"].string() == "drain");
        CHECK(status["active_site"].string() == "site-b");
        CHECK(show_stat(sock).row("site-a")->at("status") == "DRAIN");
    }
    CHECK(echo_once(on_a.fd.get(), "a draining site keeps its sessions"));
    for (int i = 0; i < 2; ++i) CHECK(route_of(rig.front, rig.sites) == "site-b");
    Session on_b = open_session(rig.front, rig.sites);
    REQUIRE(on_b.site == "site-b");
    CHECK(echo_once(on_a.fd.get(), "still draining"));

    const std::string maint = admin(sock, "set site site-a state maint");
    INFO("maint: " << maint);
    CHECK_FALSE(is_error(maint));
    CHECK(is_closed_within(on_a.fd.get(), deadline_in(5s)));
    CHECK(echo_once(on_b.fd.get(), "site-b's session is not touched"));
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(site_of(status, "site-a")["admin_state"].string() == "maint");
        CHECK(show_stat(sock).row("site-a")->at("status") == "MAINT");
    }

    CHECK_FALSE(is_error(admin(sock, "set site site-a state ready")));
    const json::Value status = admin_json(sock, "show status json");
    CHECK(site_of(status, "site-a")["admin_state"].string() == "ready");
    CHECK(status["active_site"].string() == "site-b");  // sticky: nothing moves back by itself
    CHECK(admin(sock, "set site nowhere state drain").starts_with("error:"));
    CHECK(admin(sock, "set site site-a state sleeping").starts_with("error:"));
    CHECK(admin(sock, "set site site-a").starts_with("error:"));
}

TEST_CASE("admin: disable server / enable server (HAProxy) put a site in maint and back",
          "[e2e][ops][admin][haproxy]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    Session on_a = open_session(rig.front, rig.sites);
    REQUIRE(on_a.site == "site-a");
    CHECK(admin(sock, "disable server front/site-a") == "");  // HAProxy: success is silent
    CHECK(is_closed_within(on_a.fd.get(), deadline_in(5s)));
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(site_of(status, "site-a")["admin_state"].string() == "maint");
        CHECK(status["active_site"].string() == "site-b");
        const std::string state = admin(sock, "show servers state");
        INFO("show servers state:\n" << state);
        CHECK(state.find("3 front 1 site-a " + std::string(kSiteA) + " 0 1 ") !=
              std::string::npos);  // stopped, srv_admin_state 1: SRV_ADMF_FMAINT
    }
    CHECK(route_of(rig.front, rig.sites) == "site-b");

    CHECK(admin(sock, "enable server front/site-a") == "");
    CHECK(site_of(admin_json(sock, "show status json"), "site-a")["admin_state"].string() ==
          "ready");
    CHECK(admin(sock, "set server front/site-b state drain") == "");
    CHECK(site_of(admin_json(sock, "show status json"), "site-b")["admin_state"].string() ==
          "drain");
    CHECK(admin(sock, "set server front/site-b state ready") == "");

    CHECK(admin(sock, "disable server nope/site-a") == "No such backend.\n");
    CHECK(admin(sock, "enable server front/nope") == "No such server.\n");
    CHECK(admin(sock, "disable server front") == "Require 'backend/server'.\n");
    CHECK(admin(sock, "set server front/site-a state up")
              .starts_with("'set server <srv> state' expects"));
}

TEST_CASE("admin: failback is refused while the primary is down and applied once it is up",
          "[e2e][ops][admin][failback]") {
    Rig rig;
    rig.config.fall = 1;
    auto lb = rig.start();
    const auto sock = rig.socket();

    rig.sites.stop("site-a");
    require_active(sock, "site-b");
    CHECK(site_of(admin_json(sock, "show status json"), "site-a")["health"].string() == "down");
    const std::string refused = admin(sock, "failback");
    INFO("failback with site-a down: " << refused);
    CHECK(refused.starts_with("error:"));
    CHECK(refused.find("site-a down") != std::string::npos);
    CHECK(route_of(rig.front, rig.sites) == "site-b");

    rig.sites.start("site-a");
    const json::Value up = require_status(
        sock, [](const json::Value& s) { return site_of(s, "site-a")["health"].string() == "up"; },
        "site-a up again");
    CHECK(up["active_site"].string() == "site-b");  // failback = manual: it stays
    CHECK(route_of(rig.front, rig.sites) == "site-b");

    const std::string applied = admin(sock, "failback");
    INFO("failback with site-a up: " << applied);
    CHECK_FALSE(is_error(applied));
    const json::Value status = admin_json(sock, "show status json");
    CHECK(status["active_site"].string() == "site-a");
    CHECK(status["last_transition"].string().find("failback") != std::string::npos);
    CHECK(route_of(rig.front, rig.sites) == "site-a");
    CHECK_FALSE(is_error(admin(sock, "failback")));  // already there: nothing to do
}

TEST_CASE("admin: reload through the socket applies a new listener, a broken file is refused",
          "[e2e][ops][admin][reload]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    const Front second = free_front();
    rig.config.listeners.push_back(rig.listener("second", second.port));
    rig.ws.write_config(rig.config);
    const std::string reloaded = admin(sock, "reload");
    INFO("reload: " << reloaded);
    CHECK(reloaded.starts_with("reloaded "));
    const json::Value listeners = admin_json(sock, "show listeners json");
    CHECK(listeners["listeners"].size() == 2);
    CHECK(by_name(listeners["listeners"], "second")["bind"].string() ==
          endpoint(kClientIp, second.port));
    CHECK(route_of(second, rig.sites) == "site-a");

    LbConfig broken = rig.config;
    broken.extra_toml = "no_such_key = 1";
    rig.ws.write_config(broken);
    const std::string rejected = admin(sock, "reload");
    INFO("reload of a broken file: " << rejected);
    CHECK(rejected.starts_with("error:"));
    CHECK(lb->wait_for_log(
        [](std::string_view line) { return message_starts_with(line, "reload rejected"); },
        deadline_in(5s)));
    CHECK(admin_json(sock, "show listeners json")["listeners"].size() == 2);
    CHECK(route_of(rig.front, rig.sites) == "site-a");
    CHECK(route_of(second, rig.sites) == "site-a");
}

TEST_CASE("lb ctl: exit 0 on a reply, 1 on an error reply, 2 when nothing answers",
          "[e2e][ops][admin][ctl][one-path]") {
    Rig rig;
    auto lb = rig.start();
    const std::string sock = rig.socket().string();

    CtlResult r = run_ctl({"-s", sock, "show", "info"});
    INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Pid: " + std::to_string(lb->pid()) + "\n") != std::string::npos);

    r = run_ctl({"-s", sock, "show", "status", "json"});
    CHECK(r.exit_code == 0);
    const json::ParseResult parsed = json::parse(r.out);
    REQUIRE(parsed.value.has_value());
    CHECK((*parsed.value)["active_site"].string() == "site-a");

    r = run_ctl({"-c", rig.ws.config_path().string(), "show", "sites"});  // socket from the config
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("site-b") != std::string::npos);

    r = run_ctl({"-s", sock, "set", "server", "front/site-b", "state", "ready"});
    CHECK(r.exit_code == 0);  // HAProxy's silent success
    CHECK(r.out.empty());

    r = run_ctl({"-s", sock, "frobnicate"});
    CHECK(r.exit_code == 1);
    CHECK(
        r.out.starts_with("Unknown command, but maybe one of the following ones is a better "
                          "match:\n"));
    r = run_ctl({"-s", sock, "disable", "server", "nope/site-a"});
    CHECK(r.exit_code == 1);
    CHECK(r.out == "No such backend.\n");
    r = run_ctl({"-s", sock, "pin", "nowhere"});
    CHECK(r.exit_code == 1);

    r = run_ctl({"-s", (rig.ws.dir() / "absent.sock").string(), "help"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot connect") != std::string::npos);
    r = run_ctl({"-s", sock});
    CHECK(r.exit_code == 2);

    // Once lb has stopped, its socket is gone and ctl says it cannot connect.
    CHECK(lb->stop(SIGTERM, deadline_in(10s)).exit_code == 0);
    r = run_ctl({"-s", sock, "show", "info"});
    CHECK(r.exit_code == 2);
}

TEST_CASE("admin.mode sets the socket's permission bits", "[e2e][ops][admin][mode][one-path]") {
    for (const auto& [text, mode] : {std::pair{"0600", 0600U}, std::pair{"0640", 0640U}}) {
        INFO("admin.mode = " << text);
        Rig rig;
        rig.config.admin_mode = text;
        auto lb = rig.start();
        struct stat st {};
        REQUIRE(::lstat(rig.socket().c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 07777) == mode);
        CHECK(admin(rig.socket(), "show info").starts_with("Name: sitelb"));
    }
}

TEST_CASE("admin: bad input never breaks the socket or lb",
          "[e2e][ops][admin][robustness][one-path]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    const std::string pid_line = "Pid: " + std::to_string(lb->pid()) + "\n";
    AdminClient client(sock);
    REQUIRE(client.connected());
    // Interactive, so that the connection may outlive a reply: after each bad input the same
    // connection and a new one both still answer.
    REQUIRE(client.prompt());
    const auto still_works = [&](std::string_view after) {
        INFO("after " << after);
        const auto same = client.command("show info");
        CHECK((same && same->find(pid_line) != std::string::npos));
        AdminClient fresh(sock);
        REQUIRE(fresh.connected());
        const auto reply = fresh.command("show info");
        CHECK((reply && reply->find(pid_line) != std::string::npos));
        CHECK(lb->running());
    };

    auto reply = client.command("frobnicate --now");
    REQUIRE(reply);
    CHECK(reply->starts_with(
        "Unknown command, but maybe one of the following ones is a better match:\n"));
    still_works("an unknown command");

    // HAProxy answers an empty command with the list of commands.
    reply = client.command("");
    REQUIRE(reply);
    CHECK(reply->starts_with("Unknown command. Please enter one of the following commands only:"));
    reply = client.command("   \t ");
    REQUIRE(reply);
    CHECK(reply->starts_with("Unknown command. Please enter one of the following commands only:"));
    still_works("empty lines");

    REQUIRE(client.send(std::string(std::size_t{1} << 20, 'x') + "\n") == IoStatus::Ok);
    reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->starts_with("error: line too long"));
    still_works("a 1 MiB line");

    std::string garbage;
    for (int i = 0; i < 256; ++i)
        if (i != '\n') garbage += static_cast<char>(i);
    // Each copy holds a ';', which splits the line as in HAProxy: three binary commands, three
    // errors.
    REQUIRE(client.send(garbage + garbage + "\n") == IoStatus::Ok);
    for (int part = 0; part < 3; ++part) {
        INFO("part " << part);
        reply = client.read_reply();
        REQUIRE(reply);
        CHECK(*reply == "error: binary data in command; commands are one line of ASCII text\n");
    }
    still_works("binary garbage");

    // CRLF line ends are tolerated; pipelined commands are answered in order.
    REQUIRE(client.send("show info\r\nshow status json\nhelp\n") == IoStatus::Ok);
    const auto info = client.read_reply();
    const auto status = client.read_reply();
    const auto help = client.read_reply();
    REQUIRE((info && status && help));
    CHECK(info->starts_with("Name: sitelb"));
    CHECK(json::parse(*status).value.has_value());
    CHECK(help->starts_with("The following commands are valid at this level:"));

    // Clients leaving mid-reply: replies still queued, half written, or still to come
    // (show sessions answers later, from the workers).
    for (int round = 0; round < 20; ++round) {
        AdminClient leaving(sock);
        REQUIRE(leaving.connected());
        std::string burst;
        for (int i = 0; i < 50; ++i) burst += "show stat\nshow sessions\nhelp\n";
        REQUIRE(leaving.send(burst) == IoStatus::Ok);
        if (round % 2 == 0) {
            char some[100];
            (void)recv_some(leaving.fd(), some, deadline_in(5s));
        }
        leaving.close();  // with replies unread: lb's next write fails
    }
    {
        AdminClient partial(sock);
        REQUIRE(partial.connected());
        REQUIRE(partial.send("show sta") == IoStatus::Ok);  // half a command, then gone
    }
    still_works("clients leaving mid-reply");
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    // `quit` answers the commands before it, then closes this connection only.
    REQUIRE(client.send("show info\nquit\nshow info\n") == IoStatus::Ok);
    const auto before_quit = client.read_reply();
    CHECK((before_quit && before_quit->find(pid_line) != std::string::npos));
    const Received rest = recv_until_eof(client.fd(), deadline_in(5s));
    CHECK(rest.status == IoStatus::Eof);
    CHECK(rest.data.empty());  // the command after `quit` is not run
    AdminClient after_quit(sock);
    REQUIRE(after_quit.connected());
    CHECK(after_quit.command("show info").has_value());
}

TEST_CASE("admin: HAProxy's CLI modes against a real lb: close after replying, semicolons, prompt",
          "[e2e][ops][admin][haproxy][one-path]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();

    // Non-interactive, no FIN from the client (a script that waits for EOF): reply, then EOF.
    {
        AdminClient client(sock);
        REQUIRE(client.connected());
        REQUIRE(client.send("show info\n") == IoStatus::Ok);
        const auto reply = client.read_reply();
        REQUIRE(reply);
        CHECK(reply->find("Pid: " + std::to_string(lb->pid()) + "\n") != std::string::npos);
        const Received rest = recv_until_eof(client.fd(), deadline_in(5s));
        CHECK(rest.status == IoStatus::Eof);
        CHECK(rest.data.empty());
    }
    // Two commands on one line: two framed replies, then EOF.
    {
        AdminClient client(sock);
        REQUIRE(client.send("show backend;show version\n") == IoStatus::Ok);
        const Received all = recv_until_eof(client.fd(), deadline_in(5s));
        CHECK(all.status == IoStatus::Eof);
        CHECK(all.data == "# name\nfront\n\n" LB_VERSION "\n\n");
    }
    const CtlResult ctl = run_ctl({"-s", sock.string(), "show", "backend;show", "version"});
    CHECK(ctl.exit_code == 0);
    CHECK(ctl.out == "# name\nfront\n\n" LB_VERSION "\n");

    // Interactive: the connection outlives its replies until its idle timeout.
    AdminClient prompted(sock);
    REQUIRE(prompted.prompt());
    CHECK(prompted.command("show version") == LB_VERSION "\n");
    CHECK(prompted.command("get weight front/site-a") == "1 (initial 1)\n");
    CHECK(prompted.command("set timeout cli 1") == "");
    const auto idle_since = std::chrono::steady_clock::now();
    CHECK(wait_closed(prompted.fd(), deadline_in(800ms)) == IoStatus::Timeout);
    CHECK(wait_closed(prompted.fd(), deadline_in(5s)) == IoStatus::Eof);
    CHECK(std::chrono::steady_clock::now() - idle_since < 4s);
    CHECK(lb->running());
}

TEST_CASE("admin: set server weight 0 drains a site, health down is forced then checked again",
          "[e2e][ops][admin][haproxy]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    // Forced down: the change is counted (chkdown), then the checks bring site-b back up.
    CHECK(admin(sock, "set server front/site-b health down") == "");
    CHECK(lb->wait_for_log(
        [](std::string_view line) {
            return message_starts_with(line, "site site-b health set down by the operator");
        },
        deadline_in(5s)));
    require_sites_up(sock);
    CHECK(show_stat(sock).row("site-b")->at("chkdown") == "1");

    // Weight 0: no new connections (a drain), traffic moves to site-b; back to 1: ready again.
    CHECK(admin(sock, "set server front/site-a weight 0") == "");
    CHECK(admin(sock, "get weight front/site-a") == "0 (initial 1)\n");
    require_active(sock, "site-b");
    {
        const StatCsv stat = show_stat(sock);
        CHECK(stat.row("site-a")->at("weight") == "0");
        CHECK(stat.row("site-a")->at("status") == "UP");  // HAProxy leaves weight 0 servers UP
        CHECK(site_of(admin_json(sock, "show status json"), "site-a")["admin_state"].string() ==
              "drain");
    }
    CHECK(route_of(rig.front, rig.sites) == "site-b");
    // `enable server` (state ready) does not override weight 0: still no new connections.
    CHECK(admin(sock, "enable server front/site-a") == "");
    CHECK(site_of(admin_json(sock, "show status json"), "site-a")["admin_state"].string() ==
          "drain");
    CHECK(admin(sock, "get weight front/site-a") == "0 (initial 1)\n");
    CHECK(admin(sock, "set weight front/site-a 100%") == "");
    CHECK(admin(sock, "get weight front/site-a") == "1 (initial 1)\n");
    CHECK(site_of(admin_json(sock, "show status json"), "site-a")["admin_state"].string() ==
          "ready");
    CHECK(show_stat(sock).row("site-a")->at("status") == "UP");
    CHECK(route_of(rig.front, rig.sites) == "site-b");  // sticky: failback is manual

    CHECK(admin(sock, "set server front/site-a weight 300") ==
          "Absolute weight can only be between 0 and 256 inclusive.\n");
    CHECK(admin(sock, "set server front/nope health up") == "No such server.\n");
}

}  // namespace
}  // namespace lb::test::ops
