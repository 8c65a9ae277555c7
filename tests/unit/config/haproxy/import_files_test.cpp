// The realistic haproxy.cfg files of tests/data/haproxy/: each converts to a TOML lb loads
// without a problem (or is refused with its reason), with the mapping the file is there for.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/config/haproxy/haproxy_test_support.h"

namespace lb::config::haproxy {
namespace {

using namespace std::chrono_literals;
using testing::any_has;

std::string data_file(const std::string& name) {
    const auto path = std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy" / name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

testing::Imported import_file(const std::string& name,
                              std::map<std::string, std::string> vars = {}) {
    auto run = testing::run_import(data_file(name), std::move(vars));
    return run;
}

// Converted, and lb's loader has nothing to say about the result.
Config require_clean(const testing::Imported& run) {
    INFO(run.report);
    REQUIRE(run.errors.empty());
    REQUIRE(run.config);
    CHECK(run.check_problems.empty());
    return *run.config;
}

TEST_CASE("import file: two sites primary/backup with HTTP checks", "[unit][config][import]") {
    const auto run = import_file("two-sites-httpchk.cfg");
    const Config config = require_clean(run);
    CHECK(config.global.max_connections == 4096);
    CHECK(config.admin.socket == "/run/haproxy/admin.sock");
    CHECK(config.admin.mode == 0660);
    CHECK(config.primary().name == "site-a");
    CHECK(config.primary().address.ip_string() == "10.0.1.10");
    CHECK(config.standby().name == "site-b");
    CHECK(config.standby().address.ip_string() == "10.0.2.10");
    REQUIRE(config.listeners.size() == 1);
    CHECK(config.listeners[0].name == "sites");  // the backend's name
    CHECK(config.listeners[0].bind.to_string() == "0.0.0.0:443");
    CHECK(config.listeners[0].target_port == 443);
    CHECK(config.health.kind == CheckKind::Http);
    CHECK(config.health.path == "/health");
    CHECK(config.health.host == "gateway.example.com");
    CHECK(config.health.expect_status == "200");
    CHECK(config.health.port == std::optional<std::uint16_t>(8080));
    CHECK(config.health.interval == 1s);
    CHECK(config.health.rise == 2);
    CHECK(config.health.fall == 3);
    CHECK(config.timeouts.connect == 5s);
    CHECK(config.timeouts.idle == 1h);
    CHECK(config.policy.retry_on_standby);
    // Nothing lb has no equivalent for passes in silence.
    CHECK(any_has(run.warnings, {"haproxy.cfg:4: warning: 'log /dev/log local0'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:6:", "'user haproxy'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:8:", "'daemon'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:9:", "expose-fd listeners"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:15:", "'option tcplog'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:20:", "'retries 3'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:32:", "server site-b (backup)"}));
}

TEST_CASE("import file: a listen section with 2.x check syntax", "[unit][config][import]") {
    const Config config = require_clean(import_file("listen-style.cfg"));
    CHECK(config.global.workers == 4);
    CHECK(config.admin.socket == "/var/run/haproxy.sock");
    CHECK(config.admin.mode == 0600);
    REQUIRE(config.listeners.size() == 1);
    CHECK(config.listeners[0].name == "app");
    CHECK(config.listeners[0].bind.to_string() == "0.0.0.0:8443");
    CHECK(config.primary().name == "dc1");
    CHECK(config.standby().name == "dc2");
    CHECK(config.health.kind == CheckKind::Http);
    CHECK(config.health.path == "/ready");
    CHECK(config.health.host == "app.internal");
    CHECK(config.health.expect_status == "200-299");
    CHECK(config.health.interval == 3s);
    CHECK(config.health.timeout == 2s);
    CHECK(config.timeouts.idle == 30min);
    CHECK_FALSE(config.policy.retry_on_standby);
}

TEST_CASE("import file: several frontends on one backend, a second backend on other ports",
          "[unit][config][import]") {
    const Config config = require_clean(import_file("shared-backend.cfg"));
    REQUIRE(config.listeners.size() == 3);
    CHECK(config.listeners[0].name == "gateways");
    CHECK(config.listeners[0].target_port == 80);
    CHECK(config.listeners[1].name == "gateways-2");
    CHECK(config.listeners[1].target_port == 80);
    CHECK(config.listeners[2].name == "gateways-tls");
    CHECK(config.listeners[2].target_port == 8443);
    CHECK(config.site_port(config.standby(), config.listeners[2]) == 9443);
    CHECK(config.site_port(config.primary(), config.listeners[2]) == 8443);
    CHECK(config.health.kind == CheckKind::Tcp);
    CHECK(config.policy.retry_on_standby);
}

TEST_CASE("import file: IPv6 binds and servers", "[unit][config][import]") {
    const Config config = require_clean(import_file("ipv6-binds.cfg"));
    std::vector<std::string> binds;
    for (const auto& listener : config.listeners) binds.push_back(listener.bind.to_string());
    CHECK(binds == std::vector<std::string>{"[::]:443", "[fd00::100]:8443", "10.0.0.100:9443",
                                            "0.0.0.0:9444"});
    CHECK(config.primary().address.ip_string() == "fd00:1::10");
    CHECK(config.standby().address.ip_string() == "fd00:2::10");
    for (const auto& listener : config.listeners)
        CHECK(listener.target_port == listener.bind.port());  // servers without a port
}

TEST_CASE("import file: PROXY protocol towards the gateways", "[unit][config][import]") {
    const Config config = require_clean(import_file("proxy-protocol.cfg"));
    REQUIRE(config.listeners.size() == 2);
    CHECK(config.listeners[0].proxy_protocol == ProxyProtocol::V1);
    CHECK(config.listeners[1].proxy_protocol == ProxyProtocol::V2);
    CHECK(config.listeners[1].target_port == 8443);
}

TEST_CASE("import file: an HTTP-mode file converts with a warning per HTTP feature",
          "[unit][config][import]") {
    const auto run = import_file("http-mode.cfg");
    const Config config = require_clean(run);
    REQUIRE(config.listeners.size() == 1);
    CHECK(config.listeners[0].bind.to_string() == "0.0.0.0:443");
    CHECK(config.global.max_connections == 10000);
    REQUIRE(config.metrics.listen);
    CHECK(config.metrics.listen->to_string() == "127.0.0.1:8404");
    CHECK(config.health.kind == CheckKind::Http);
    CHECK(config.health.path == "/healthz");
    CHECK(any_has(run.warnings, {"haproxy.cfg:9:", "frontend www is in mode http"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:17:", "lb does not terminate TLS"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:18:", "'acl is_api path_beg /api'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:19:", "'http-request set-header"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:20:", "'use_backend api if is_api'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:24:", "'balance roundrobin'"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:25:", "'cookie SERVERID"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:26:", "stick tables"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:31:", "backend api is used by no converted frontend"}));
    CHECK(any_has(run.warnings, {"haproxy.cfg:34:", "HAProxy's stats page"}));
}

TEST_CASE("import file: files that cannot be converted exit with the reason",
          "[unit][config][import]") {
    const auto no_frontend = import_file("no-frontend.cfg");
    CHECK_FALSE(no_frontend.toml);
    CHECK(any_has(no_frontend.errors, {"no frontend or listen section binds a TCP address"}));

    const auto one_server = import_file("one-server.cfg");
    CHECK_FALSE(one_server.toml);
    CHECK(any_has(one_server.warnings, {"haproxy.cfg:5:", "backend app has 1 usable server"}));
    CHECK(any_has(one_server.errors, {"two usable servers"}));

    const auto range = import_file("port-range.cfg");
    CHECK_FALSE(range.toml);
    CHECK(any_has(range.warnings, {"haproxy.cfg:6: warning: bind :50000-50100: port range"}));
    CHECK_FALSE(range.errors.empty());
}

TEST_CASE("import file: addresses from environment variables", "[unit][config][import]") {
    const Config config = require_clean(import_file(
        "env-vars.cfg", {{"FRONT_ADDR", "192.0.2.10"}, {"SITE_A", "10.0.1.10"},
                         {"SITE_B", "10.0.2.10"}}));
    CHECK(config.listeners[0].bind.to_string() == "192.0.2.10:8443");  // FRONT_PORT's default
    CHECK(config.timeouts.connect == 4s);
    CHECK(config.primary().address.ip_string() == "10.0.1.10");
    const auto unset = import_file("env-vars.cfg");
    CHECK_FALSE(unset.toml);  // servers ":443": no address
    CHECK(any_has(unset.warnings, {"haproxy.cfg:7:", "environment variable FRONT_ADDR is not set"}));
}

}  // namespace
}  // namespace lb::config::haproxy
