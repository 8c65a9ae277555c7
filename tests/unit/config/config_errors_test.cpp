// Each class of mistake in lb.toml is reported once, as file:line:col: error: KEY: message, at
// the position an operator has to edit; every problem in a file is reported, not just the first.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/config/config_test_support.h"

namespace lb::config {
namespace {

using testing::kSitesAndListener;
using testing::load;

struct Row {
    const char* what;
    std::string toml;
    std::string expected;         // one of the errors, exactly
    std::size_t error_count = 1;  // a few mistakes imply a second error (no standby left)
};

// `text` with the last occurrence of `from` replaced by `to` (the second site's, usually).
std::string with(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.rfind(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

void check_rows(const std::vector<Row>& rows) {
    for (const auto& row : rows) {
        INFO(row.what << "\n--- lb.toml\n" << row.toml);
        const auto loaded = load(row.toml);
        INFO("--- reported\n" << loaded.report);
        CHECK_FALSE(loaded.config.has_value());
        CHECK(std::find(loaded.errors.begin(), loaded.errors.end(), row.expected) !=
              loaded.errors.end());
        CHECK(loaded.errors.size() == row.error_count);
    }
}

TEST_CASE("a mistake in one table is reported at the value, with its dotted key",
          "[unit][config]") {
    const std::string base(kSitesAndListener);
    check_rows({
        {"unknown top-level key", "colour = \"red\"\n" + base,
         "lb.toml:1:1: error: colour: unknown key"},
        {"unknown table", "[heath]\n" + base,
         R"(lb.toml:1:2: error: heath: unknown key (did you mean "health"?))"},
        {"unknown key in a table", "[health]\nintervall = \"1s\"\n" + base,
         R"(lb.toml:2:1: error: health.intervall: unknown key (did you mean "interval"?))"},
        {"wrong type: string for an integer", "[global]\nworkers = \"4\"\n" + base,
         R"(lb.toml:2:11: error: global.workers: expected an integer, got string "4")"},
        {"wrong type: string for a boolean", "[policy]\nretry_on_standby = \"yes\"\n" + base,
         R"(lb.toml:2:20: error: policy.retry_on_standby: expected true or false, got string "yes")"},
        {"wrong type: float for an integer", "[health]\nfall = 3.0\n" + base,
         "lb.toml:2:8: error: health.fall: expected an integer, got float 3.0"},
        {"wrong type: integer for a string", "[global]\nstate_file = 5\n" + base,
         R"(lb.toml:2:14: error: global.state_file: expected a string, got integer 5)"},
        {"duration as a bare number", "[health]\ninterval = 5\n" + base,
         R"(lb.toml:2:12: error: health.interval: expected a duration such as "500ms", got integer 5)"},
        {"negative duration", "[timeouts]\nconnect = \"-1s\"\n" + base,
         R"(lb.toml:2:11: error: timeouts.connect: a duration cannot be negative, got "-1s")"},
        {"duration with an unknown unit", "[timeouts]\nidle = \"5x\"\n" + base,
         R"(lb.toml:2:8: error: timeouts.idle: expected a duration such as "500ms" (units ms, s, m, h), got string "5x")"},
        {"duration in a string without a unit", "[policy]\nfailback_after = \"60\"\n" + base,
         R"(lb.toml:2:18: error: policy.failback_after: expected a duration such as "500ms" (units ms, s, m, h), got string "60")"},
        {"zero health timeout", "[health]\ntimeout = \"0ms\"\n" + base,
         R"(lb.toml:2:11: error: health.timeout: must be greater than zero, got "0ms")"},
        {"bad enum value", "[global]\nlog_format = \"xml\"\n" + base,
         R"(lb.toml:2:14: error: global.log_format: expected one of "tcplog", "json", "none", got string "xml")"},
        {"mode with a non-octal digit", "[admin]\nmode = \"0998\"\n" + base,
         R"(lb.toml:2:8: error: admin.mode: expected an octal mode string such as "0660", got string "0998")"},
        {"mode as a decimal integer", "[admin]\nmode = 660\n" + base,
         R"(lb.toml:2:8: error: admin.mode: expected an octal mode string such as "0660", got integer 660)"},
        {"negative workers", "[global]\nworkers = -1\n" + base,
         "lb.toml:2:11: error: global.workers: must be from 0 to 1024, got -1"},
        {"max_connections 0", "[global]\nmax_connections = 0\n" + base,
         "lb.toml:2:19: error: global.max_connections: must be at least 1, got 0"},
        {"rise 0", "[health]\nrise = 0\n" + base,
         "lb.toml:2:8: error: health.rise: must be at least 1, got 0"},
        {"health port 0", "[health]\nport = 0\n" + base,
         "lb.toml:2:8: error: health.port: must be from 1 to 65535, got 0"},
        {"health port 70000", "[health]\nport = 70000\n" + base,
         "lb.toml:2:8: error: health.port: must be from 1 to 65535, got 70000"},
        {"endpoint without a port", "[metrics]\nlisten = \"127.0.0.1\"\n" + base,
         R"(lb.toml:2:10: error: metrics.listen: expected an address with a port such as "10.0.0.1:443" or "[fd00::1]:443", got string "127.0.0.1")"},
        {"bad status range", "[health]\nexpect_status = \"2xx\"\n" + base,
         R"(lb.toml:2:17: error: health.expect_status: expected status codes such as "200-399" or "200,301-302", got string "2xx")"},
        {"health path without a slash", "[health]\npath = \"health\"\n" + base,
         R"(lb.toml:2:8: error: health.path: must start with '/', got "health")"},
        {"verify = ca without ca_file", "[health]\nkind = \"https\"\nverify = \"ca\"\n" + base,
         R"(lb.toml:3:10: error: health.verify: verify = "ca" needs ca_file)"},
    });
}

TEST_CASE("a mistake in [[sites]] or [[listeners]] names the array index", "[unit][config]") {
    const std::string base(kSitesAndListener);  // site-b's lines are 7-10, the listener's 12-14
    check_rows({
        {"unknown key in [[sites]]",
         with(base, "role = \"standby\"\n", "role = \"standby\"\nweight = 3\n"),
         "lb.toml:11:1: error: sites[1].weight: unknown key"},
        {"missing required key", with(base, "address = \"10.0.0.12\"\n", ""),
         "lb.toml:7:1: error: sites[1].address: missing required key"},
        {"bad v4 address", with(base, "10.0.0.12", "10.0.0.300"),
         R"(lb.toml:9:11: error: sites[1].address: expected an IP address such as "10.0.0.11" or "fd00::11", got string "10.0.0.300")"},
        {"bad v6 address", with(base, "10.0.0.12", "fd00:::12"),
         R"(lb.toml:9:11: error: sites[1].address: expected an IP address such as "10.0.0.11" or "fd00::11", got string "fd00:::12")"},
        {"bad v6 bind", with(base, "0.0.0.0:443", "[fd00::zz]:443"),
         R"(lb.toml:14:8: error: listeners[0].bind: expected an address with a port such as "10.0.0.1:443" or "[fd00::1]:443", got string "[fd00::zz]:443")"},
        {"bind port 0", with(base, "0.0.0.0:443", "0.0.0.0:0"),
         R"(lb.toml:14:8: error: listeners[0].bind: port must be from 1 to 65535, got string "0.0.0.0:0")"},
        {"target_port 0", base + "target_port = 0\n",
         "lb.toml:15:15: error: listeners[0].target_port: must be from 1 to 65535, got 0"},
        {"target_port 70000", base + "target_port = 70000\n",
         "lb.toml:15:15: error: listeners[0].target_port: must be from 1 to 65535, got 70000"},
        {"bad role", with(base, "\"standby\"", "\"backup\""),
         R"(lb.toml:10:8: error: sites[1].role: expected one of "primary", "standby", got string "backup")"},
        {"site name with a slash", with(base, "site-b", "site/b"),
         R"(lb.toml:8:8: error: sites[1].name: must be letters, digits, '-', '_' or '.', got "site/b")"},
        {"site name of the wrong type", with(base, "\"site-b\"", "2"),
         "lb.toml:8:8: error: sites[1].name: expected a string, got integer 2"},
        {"empty listener name", with(base, "\"https\"", "\"\""),
         R"(lb.toml:13:8: error: listeners[0].name: must be letters, digits, '-', '_' or '.', got "")"},
        {"[sites] instead of [[sites]]",
         "[sites]\nname = \"a\"\n" + base.substr(base.find("[[listeners]]")),
         "lb.toml:1:1: error: sites: expected an array of tables ([[sites]]), got a table",
         2},  // and "no [[sites]]"
        {"bad per-site health",
         with(base, "role = \"standby\"\n", "role = \"standby\"\n[sites.health]\nfall = \"3\"\n"),
         R"(lb.toml:12:8: error: sites[1].health.fall: expected an integer, got string "3")"},
    });
}

TEST_CASE("rules that span tables point at the second offender", "[unit][config]") {
    const std::string base(kSitesAndListener);
    const std::string listener = "[[listeners]]\nname = \"https\"\nbind = \"0.0.0.0:443\"\n";
    check_rows({
        {"no sites at all", listener,
         R"(lb.toml:1:1: error: sites: no [[sites]]: need one site with role = "primary" and one with role = "standby")"},
        {"only one site",
         "[global]\nworkers = 1\n\n[[sites]]\nname = \"a\"\naddress = \"10.0.0.1\"\nrole = "
         "\"primary\"\n\n" +
             listener,
         R"(lb.toml:4:1: error: sites: only one site: need one site with role = "primary" and one with role = "standby")"},
        {"two primaries", with(base, "\"standby\"", "\"primary\""),
         R"(lb.toml:10:8: error: sites[1].role: two primaries: site "site-a" (line 5) already has role = "primary")",
         2},  // and "no site has role = "standby""
        {"duplicate site name", with(base, "site-b", "site-a"),
         R"(lb.toml:8:8: error: sites[1].name: duplicate site name "site-a" (first at line 3))"},
        {"no listeners", base.substr(0, base.find("[[listeners]]")),
         "lb.toml:1:1: error: listeners: no [[listeners]]: need at least one"},
        {"duplicate listener name",
         base + "\n[[listeners]]\nname = \"https\"\nbind = \"0.0.0.0:8443\"\n",
         R"(lb.toml:17:8: error: listeners[1].name: duplicate listener name "https" (first at line 13))"},
        {"two listeners on one address",
         base + "\n[[listeners]]\nname = \"tls\"\nbind = \"0.0.0.0:443\"\n",
         R"(lb.toml:18:8: error: listeners[1].bind: listener "https" (line 14) already binds 0.0.0.0:443)"},
        {"unknown listener in sites.ports",
         with(base, "role = \"standby\"\n", "role = \"standby\"\n[sites.ports]\nhttp = 8080\n"),
         R"(lb.toml:12:1: error: sites[1].ports.http: no listener named "http")"},
        {"per-site verify = ca without ca_file",
         with(base, "role = \"standby\"\n",
              "role = \"standby\"\n[sites.health]\nverify = \"ca\"\n"),
         R"(lb.toml:12:10: error: sites[1].health.verify: verify = "ca" needs ca_file)"},
    });
}

TEST_CASE("a mistake in [peer] is reported like any other", "[unit][config]") {
    const std::string base(kSitesAndListener);
    const std::string peer =
        "[peer]\nid = \"lb1\"\nbind = \"0.0.0.0:5405\"\npeers = [\"10.0.0.2:5405\"]\n"
        "key_file = \"/etc/lb/peer.key\"\npeer_id = \"lb2\"\n";
    check_rows({
        {"priority 255", peer + "priority = 255\n" + base,
         "lb.toml:7:12: error: peer.priority: must be from 1 to 254, got 255"},
        {"empty key_file", with(peer, "\"/etc/lb/peer.key\"", "\"\"") + base,
         "lb.toml:5:12: error: peer.key_file: must not be empty"},
        {"missing key_file", with(peer, "key_file = \"/etc/lb/peer.key\"\n", "") + base,
         "lb.toml:1:1: error: peer.key_file: missing required key"},
        {"bad peer address",
         with(peer, "\"10.0.0.2:5405\"", "\"10.0.0.2:5405\", \"10.0.0.3\"") + base,
         R"(lb.toml:4:27: error: peer.peers[1]: expected an address with a port such as "10.0.0.1:443" or "[fd00::1]:443", got string "10.0.0.3")"},
        {"no peers", with(peer, "[\"10.0.0.2:5405\"]", "[]") + base,
         "lb.toml:4:9: error: peer.peers: must list at least one peer address"},
        {"zero advert interval", peer + "advert_interval = \"0s\"\n" + base,
         R"(lb.toml:7:19: error: peer.advert_interval: must be greater than zero, got "0s")"},
        {"vip without a prefix length",
         peer + "vip = \"10.0.0.100\"\ninterface = \"eth0\"\n" + base,
         R"(lb.toml:7:7: error: peer.vip: expected an address with a prefix length such as "10.0.0.100/24", got string "10.0.0.100")"},
        {"bad track target", peer + "track = [\"tcp://10.0.0.50:27017\", \"10.0.0.51\"]\n" + base,
         R"(lb.toml:7:35: error: peer.track[1]: expected "tcp://ADDRESS:PORT" such as "tcp://10.0.0.50:27017", got string "10.0.0.51")"},
        {"arbiter of another address family than bind", peer + "arbiter = \"[fd00::50]:5406\"\n" + base,
         "lb.toml:7:11: error: peer.arbiter: must be of the same address family as peer.bind "
         "(0.0.0.0:5405): requests leave from its socket"},
        {"missing peer_id", with(peer, "peer_id = \"lb2\"\n", "") + base,
         "lb.toml:1:1: error: peer.peer_id: missing required key"},
        {"peer_id is this instance's id", with(peer, "\"lb2\"", "\"lb1\"") + base,
         "lb.toml:6:11: error: peer.peer_id: the partner's id must differ from this instance's id"},
        {"vip without an interface", peer + "vip = \"10.0.0.100/24\"\n" + base,
         R"(lb.toml:7:7: error: peer.vip: a vip needs interface = "..." to add it to)"},
    });
}

TEST_CASE("a TOML syntax error is one error at its line and column", "[unit][config]") {
    const auto loaded = load("[global]\nworkers = = 2\n");
    INFO(loaded.report);
    CHECK_FALSE(loaded.config.has_value());
    REQUIRE(loaded.errors.size() == 1);
    CHECK_THAT(loaded.errors.front(), Catch::StartsWith("lb.toml:2:11: error: parsing "));
}

TEST_CASE("every problem in a file is reported, in file order", "[unit][config]") {
    // Cross-table rules are checked last but still listed where they stand in the file.
    const auto loaded = load("[global]\nworkers = \"4\"\ncolour = 1\n" +
                             with(std::string(kSitesAndListener), "site-b", "site-a") +
                             "\n[health]\ninterval = 5\nrise = 0\n");
    INFO(loaded.report);
    CHECK_FALSE(loaded.config.has_value());
    CHECK(
        loaded.errors ==
        std::vector<std::string>{
            R"(lb.toml:2:11: error: global.workers: expected an integer, got string "4")",
            "lb.toml:3:1: error: global.colour: unknown key",
            R"(lb.toml:11:8: error: sites[1].name: duplicate site name "site-a" (first at line 6))",
            R"(lb.toml:20:12: error: health.interval: expected a duration such as "500ms", got integer 5)",
            "lb.toml:21:8: error: health.rise: must be at least 1, got 0",
        });
}

TEST_CASE("a health timeout not below the interval loads with a warning", "[unit][config]") {
    const auto loaded =
        load("[health]\ninterval = \"1s\"\ntimeout = \"2s\"\n" + std::string(kSitesAndListener));
    INFO(loaded.report);
    CHECK(loaded.config.has_value());
    CHECK(loaded.errors.empty());
    CHECK(loaded.warnings == std::vector<std::string>{
                                 "lb.toml:3:11: warning: health.timeout: timeout 2s is not shorter "
                                 "than interval 1s: checks will overlap"});
}

TEST_CASE("an unreadable file is an error naming the file", "[unit][config]") {
    Diagnostics out;
    CHECK_FALSE(load_config("/nonexistent/lb.toml", out).has_value());
    REQUIRE(out.all().size() == 1);
    CHECK_THAT(out.all().front().to_string(),
               Catch::StartsWith("/nonexistent/lb.toml:1:1: error: cannot read the file"));
}

TEST_CASE("metrics on an address other hosts reach must be asked for with allow_remote",
          "[unit][config]") {
    const std::string base(kSitesAndListener);
    check_rows({
        {"all addresses", "[metrics]\nlisten = \"0.0.0.0:9100\"\n" + base,
         "lb.toml:2:10: error: metrics.listen: 0.0.0.0:9100 is reachable from other hosts, and "
         "the metrics, the status page and /status.json need no password: use a loopback "
         "address, or set allow_remote = true to serve them there"},
        {"a management address", "[metrics]\nlisten = \"10.0.0.1:9100\"\n" + base,
         "lb.toml:2:10: error: metrics.listen: 10.0.0.1:9100 is reachable from other hosts, and "
         "the metrics, the status page and /status.json need no password: use a loopback "
         "address, or set allow_remote = true to serve them there"},
        {"IPv6 any", "[metrics]\nlisten = \"[::]:9100\"\n" + base,
         "lb.toml:2:10: error: metrics.listen: [::]:9100 is reachable from other hosts, and the "
         "metrics, the status page and /status.json need no password: use a loopback address, "
         "or set allow_remote = true to serve them there"},
    });
    for (const std::string listen :
         {"127.0.0.1:9100", "127.0.0.5:9100", "[::1]:9100", "[::ffff:127.0.0.1]:9100"}) {
        const auto loaded = load("[metrics]\nlisten = \"" + listen + "\"\n" + base);
        INFO(listen << "\n" << loaded.report);
        REQUIRE(loaded.config);
        CHECK_FALSE(loaded.config->metrics.allow_remote);
    }
    const auto allowed =
        load("[metrics]\nlisten = \"10.0.0.1:9100\"\nallow_remote = true\n" + base);
    INFO(allowed.report);
    REQUIRE(allowed.config);
    CHECK(allowed.config->metrics.allow_remote);
    CHECK(allowed.config->metrics.listen->to_string() == "10.0.0.1:9100");
}

}  // namespace
}  // namespace lb::config
