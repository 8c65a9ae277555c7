// lb's own admin commands end to end over the socket against a FakeController: what the
// operator reads (text), what scripts parse (JSON, checked by a strict parser), what was called.
// A client that asks several times uses interactive mode (`prompt`), as an operator at a
// `socat readline` would.
#include <catch2/catch.hpp>
#include <sstream>

#include "tests/component/admin/admin_fixture.h"
#include "tests/support/json_reader.h"
#include "tests/support/stderr_capture.h"

namespace lb::admin::test {
namespace {

using JsonValue = lb::test::json::Value;

JsonValue json_reply(const std::string& body) {
    REQUIRE(body.ends_with("\n"));
    REQUIRE(body.find('\n') == body.size() - 1);  // one line, one object
    const auto parsed = lb::test::json::parse(body);
    INFO(parsed.error << "\n" << body);
    REQUIRE(parsed.value);
    REQUIRE(parsed.value->is_object());
    return *parsed.value;
}

TEST_CASE("help lists every command", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    const std::string help = f.ask(client, "help");
    CHECK(help.starts_with("The following commands are valid at this level:\n"));
    for (const char* command : {"show status [json]",
                                "show sites [json]",
                                "show listeners [json]",
                                "show sessions [json]",
                                "pin <site> [--kill]",
                                "unpin",
                                "failback",
                                "set site <site> state <state>",
                                "reload",
                                "show info",
                                "show stat",
                                "show servers state",
                                "show servers conn",
                                "set server <bk>/<srv> [opts]",
                                "disable server",
                                "enable server",
                                "set weight <bk>/<srv>",
                                "get weight <bk>/<srv>",
                                "set timeout [cli] <delay>",
                                "show backend",
                                "show version",
                                "show env",
                                "show sess",
                                "show peer [json]",
                                "peer step-down",
                                "help [<command>]",
                                "prompt",
                                "quit"}) {
        INFO(command);
        CHECK(help.find(command) != std::string::npos);
    }
}

TEST_CASE("show status as text and as JSON", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    const std::string text = f.ask(client, "show status");
    for (const char* line :
         {"version:         0.1.0\n", "uptime:          1d 2h03m04s\n", "active site:     site-a\n",
          "pinned site:     -\n", "peer role:       none (single instance)\n",
          "connections:     7 active, 1234 total, max 20000\n", "sites:\n", "listeners:\n"}) {
        INFO(line);
        CHECK(text.find(line) != std::string::npos);
    }
    CHECK(text.find("  site-b  standby  10.0.0.12  down    ready  no      no      failed: "
                    "connect refused (0.2 ms, 800ms ago)\n") != std::string::npos);

    f.controller.canned.pinned_site = "site-b";
    f.controller.canned.peer_role = "master";
    const JsonValue status = json_reply(f.ask(client, "show status json"));
    CHECK(status.at("version").string() == "0.1.0");
    CHECK(status.at("pid").number() == 4242);
    CHECK(status.at("uptime_s").number() == 93784);
    CHECK(status.at("active_site").string() == "site-a");
    CHECK(status.at("pinned_site").string() == "site-b");
    CHECK(status.at("epoch").number() == 3);
    CHECK(status.at("peer_role").string() == "master");
    CHECK(status.at("last_transition").string() == "site-b -> site-a (failback): operator");
    CHECK(status.at("workers").number() == 2);
    REQUIRE(status.at("sites").items().size() == 2);
    const JsonValue& b = status.at("sites").items()[1];
    CHECK(b.at("name").string() == "site-b");
    CHECK(b.at("health").string() == "down");
    CHECK_FALSE(b.at("active").boolean());
    CHECK(b.at("last_check").at("reason").string() == "connect refused");
    CHECK(b.at("last_check").at("ok").is_bool());
    CHECK(b.at("connect_errors_total").number() == 3);
    REQUIRE(status.at("listeners").items().size() == 2);
    CHECK(status.at("listeners").items()[1].at("target_port").number() == 2222);

    f.controller.canned.pinned_site.reset();
    f.controller.canned.sites[0].last_check.reset();
    const JsonValue unpinned = json_reply(f.ask(client, "show status json"));
    CHECK(unpinned.at("pinned_site").is_null());
    CHECK(unpinned.at("sites").items()[0].at("last_check").is_null());
}

TEST_CASE("show sites and show listeners", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    const std::string sites = f.ask(client, "show sites");
    CHECK(sites.starts_with("NAME    ROLE     ADDRESS    CHECK  HEALTH  STATE  ACTIVE  PINNED"));
    CHECK(sites.find("\nsite-a  primary  10.0.0.11  http   up      ready  yes     no") !=
          std::string::npos);
    const JsonValue sites_json = json_reply(f.ask(client, "show sites json"));
    REQUIRE(sites_json.keys() == std::vector<std::string>{"sites"});
    const JsonValue& a = sites_json.at("sites").items().at(0);
    for (const char* key :
         {"name", "role", "address", "health", "admin_state", "active", "pinned", "check_kind",
          "last_check", "checks_failed_total", "health_changes_total", "last_change_age_s",
          "connections_active", "connections_max", "connections_total", "connect_errors_total",
          "bytes_to_site", "bytes_to_client"}) {
        INFO(key);
        CHECK(a.contains(key));
    }
    CHECK(a.at("last_check").at("latency_ms").number() == 1.5);

    const std::string listeners = f.ask(client, "show listeners");
    CHECK(listeners ==
          "NAME   BIND         TARGET  CUR  MAX  TOTAL  REJECTED  TO_SITE  TO_CLIENT\n"
          "https  0.0.0.0:443  443     5    40   1000   0         800      8000\n"
          "ssh    0.0.0.0:22   2222    2    10   234    1         0        0\n");
    const JsonValue listeners_json = json_reply(f.ask(client, "show listeners json"));
    const JsonValue& ssh = listeners_json.at("listeners").items().at(1);
    CHECK(ssh.keys() == std::vector<std::string>{"name", "bind", "target_port",
                                                 "connections_active", "connections_max",
                                                 "connections_total", "bytes_client_to_site",
                                                 "bytes_site_to_client", "rejected_total"});
    CHECK(ssh.at("rejected_total").number() == 1);
}

TEST_CASE("show sessions, text and JSON, answered later", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "show sessions") == "no open sessions\n");
    CHECK(json_reply(f.ask(client, "show sessions json")).at("sessions").items().empty());

    f.controller.open_sessions = {
        {17, "10.1.2.3:51234", "https", "site-a", 4210, 100, 2000, "established"},
        {18, "[2001:db8::1]:40000", "ssh", "-", 20, 0, 0, "connecting"}};
    const std::string text = f.ask(client, "show sessions");
    CHECK(text ==
          "ID  CLIENT               LISTENER  SITE    STATE        AGE   TO_SITE  TO_CLIENT\n"
          "17  10.1.2.3:51234       https     site-a  established  4.2s  100      2000\n"
          "18  [2001:db8::1]:40000  ssh       -       connecting   20ms  0        0\n");
    const JsonValue json = json_reply(f.ask(client, "show sessions json"));
    REQUIRE(json.at("sessions").items().size() == 2);
    const JsonValue& first = json.at("sessions").items()[0];
    CHECK(first.keys() == std::vector<std::string>{"id", "client", "listener", "site", "age_ms",
                                                   "bytes_to_site", "bytes_to_client", "state"});
    CHECK(first.at("id").number() == 17);
    CHECK(first.at("state").string() == "established");
}

TEST_CASE("pin, unpin, failback and set site call the Controller", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "pin site-b") == "pinned site-b\n");
    CHECK(f.ask(client, "pin site-a --kill") == "pinned site-a\n");
    CHECK(f.ask(client, "pin nowhere") == "error: unknown site 'nowhere'\n");
    CHECK(f.ask(client, "pin") == "error: usage: pin SITE [--kill]\n");
    CHECK(f.ask(client, "unpin") == "unpinned\n");
    CHECK(f.ask(client, "failback") == "error: the primary site-a is not up\n");
    CHECK(f.ask(client, "set site site-b state maint") == "site site-b is now maint\n");
    CHECK(f.ask(client, "set site site-b state off") ==
          "error: unknown state 'off'; expected ready, drain or maint\n");
    CHECK(f.ask(client, "set site elsewhere state drain") == "error: unknown site 'elsewhere'\n");
    CHECK(f.controller.calls == std::vector<std::string>{"pin site-b keep", "pin site-a kill",
                                                         "pin nowhere keep", "unpin", "failback",
                                                         "set_site_state site-b maint",
                                                         "set_site_state elsewhere drain"});
}

TEST_CASE("reload answers once the Controller has applied or rejected", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "reload") == "configuration reloaded\n");
    f.controller.reload_outcome = {false, "lb.toml:3:9: error: timeouts.idle: expected a duration"};
    CHECK(f.ask(client, "reload") ==
          "error: lb.toml:3:9: error: timeouts.idle: expected a duration\n");

    f.controller.defer_reload = true;
    REQUIRE(f.send_all(client, "reload\n"));
    REQUIRE(f.run_until([&] { return f.controller.pending_reloads.size() == 1; }));
    client.pump();
    CHECK(client.unread().empty());
    f.controller.pending_reloads[0]({true, "configuration reloaded: 1 listener added"});
    CHECK(f.reply(client) == "configuration reloaded: 1 listener added\n");
}

TEST_CASE("async commands waiting at once on a connection are bounded", "[component][admin]") {
    AdminLimits limits;
    limits.max_waiting_replies = 2;
    AdminFixture f(limits);
    f.controller.defer_sessions = true;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show sessions\nshow sessions\nshow sessions\n"));
    REQUIRE(f.run_until([&] { return f.controller.pending_sessions.size() == 2; }));
    for (auto& answer : f.controller.pending_sessions) answer({});
    CHECK(f.reply(client) == "no open sessions\n");
    CHECK(f.reply(client) == "no open sessions\n");
    CHECK(f.reply(client) == "error: too many commands waiting for a reply on this connection\n");
}

TEST_CASE("only accepted commands are logged as operator actions", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    std::string log;
    {
        const lb::test::StderrCapture capture;
        // Refused: by the Controller, by a name check, by the parser.
        CHECK(f.ask(client, "pin nowhere") == "error: unknown site 'nowhere'\n");
        CHECK(f.ask(client, "set site elsewhere state drain") ==
              "error: unknown site 'elsewhere'\n");
        CHECK(f.ask(client, "set server web/nope state maint") == "No such backend.\n");
        CHECK(f.ask(client, "set server https/nope state maint") == "No such server.\n");
        CHECK(f.ask(client, "set server https/site-a state up")
                  .starts_with("'set server <srv> state' expects"));
        CHECK(f.ask(client, "failback") == "error: the primary site-a is not up\n");
        // Accepted.
        CHECK(f.ask(client, "set server https/site-b state maint") == "");
        CHECK(f.ask(client, "pin site-b") == "pinned site-b\n");
        // Not a change: never logged.
        CHECK(f.ask(client, "show version") == "0.1.0\n");
        // A chain: each accepted command on its own line, as it was written.
        REQUIRE(f.send_all(client, "unpin;pin nowhere;set weight https/site-a 0\n"));
        CHECK(f.reply(client) == "unpinned\n");
        CHECK(f.reply(client) == "error: unknown site 'nowhere'\n");
        CHECK(f.reply(client) == "");
        log = capture.text();
    }
    INFO("log:\n" << log);
    std::vector<std::string> actions;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        const std::size_t at = line.find(" admin: ");
        if (at != std::string::npos) actions.push_back(line.substr(at + 8));
    }
    CHECK(actions == std::vector<std::string>{"set server https/site-b state maint", "pin site-b",
                                              "unpin", "set weight https/site-a 0"});
    CHECK(log.find(" info ") != std::string::npos);
}

TEST_CASE("show peer and peer step-down, with and without a [peer] section", "[component][admin]") {
    AdminFixture f;
    {
        AdminClient client(f.path);
        CHECK(f.ask(client, "show peer") == "no [peer] section: a single instance\n");
    }
    {
        AdminClient client(f.path);
        const JsonValue none = json_reply(f.ask(client, "show peer json"));
        CHECK(none["peer"].is_null());
    }
    {
        AdminClient client(f.path);
        CHECK(f.ask(client, "peer step-down") ==
              "error: there is no [peer] section: nothing to step down from\n");
    }
    PeerView peer;
    peer.id = "lb1";
    peer.role = "master";
    peer.priority = 150;
    peer.advertised_priority = 150;
    peer.vip = "10.0.0.100/24";
    peer.interface = "eth0";
    peer.vip_held = true;
    peer.peer_id = "lb2";
    peer.peer_role = "backup";
    peer.peer_priority = 100;
    peer.peer_advert_age_ms = 80;
    peer.adverts_sent = 12;
    peer.adverts_received = 11;
    peer.rejected = {{"bad_signature", 2}};
    peer.transitions = {{"init", "backup", 1}, {"backup", "master", 1}};
    peer.last_transition = "backup -> master: lb2 is backup and ranks lower (priority 100)";
    f.controller.canned.peer = peer;
    f.controller.canned.peer_role = "master";
    {
        AdminClient client(f.path);
        const std::string text = f.ask(client, "show peer");
        CHECK(text.find("role:") != std::string::npos);
        CHECK(text.find("10.0.0.100/24 on eth0 (held)") != std::string::npos);
        CHECK(text.find("lb2 backup priority 100, last advert 80ms ago") != std::string::npos);
        CHECK(text.find("bad_signature 2") != std::string::npos);
    }
    {
        AdminClient client(f.path);
        const JsonValue json = json_reply(f.ask(client, "show peer json"));
        const JsonValue& p = json["peer"];
        CHECK(p["role"].string() == "master");
        CHECK(p["vip_held"].boolean());
        CHECK(p["peer_id"].string() == "lb2");
        CHECK(p["adverts_rejected"]["bad_signature"].literal() == "2");
        CHECK(p["transitions"].size() == 2);
    }
    {
        AdminClient client(f.path);
        const JsonValue status = json_reply(f.ask(client, "show status json"));
        CHECK(status["peer_role"].string() == "master");
        CHECK(status["peer"]["id"].string() == "lb1");
    }
    {
        AdminClient client(f.path);
        CHECK(f.ask(client, "peer step-down") == "stepping down\n");
        CHECK(f.controller.called("peer_step_down"));
    }
}

}  // namespace
}  // namespace lb::admin::test
