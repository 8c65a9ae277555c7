// A valid lb.toml loads into the values it spells out; absent keys keep config.h's defaults,
// [sites.health] merges over [health], and sites come back primary first.
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/config/config_test_support.h"

namespace lb::config {
namespace {

using namespace std::chrono_literals;
using testing::kSitesAndListener;
using testing::load;

// The documented example (docs/configuration.md), with an IPv6 listener and an IPv6 site.
constexpr std::string_view kReferenceExample = R"(
[global]
workers = 4
max_connections = 20000
state_file = "/var/lib/lb/state.json"
log_format = "json"

[admin]
socket = "/run/lb/admin.sock"
mode = "0640"

[metrics]
listen = "[::1]:9100"

[timeouts]
connect = "3s"
idle = "1h"
drain = "30s"

[health]
kind = "http"
port = 443
path = "/healthz"
host = "gateway"
expect_status = "200-399"
expect_body = "ok"
verify = "none"
interval = "1s"
timeout = "500ms"
rise = 2
fall = 3

[policy]
failback = "auto"
failback_after = "90s"
retry_on_standby = false

[[sites]]
name = "site-a"
address = "10.0.0.11"
role = "primary"

[[sites]]
name = "site-b"
address = "fd00::11"
role = "standby"
[sites.ports]
https = 18443

[[listeners]]
name = "https"
bind = "[::]:443"
target_port = 443
proxy_protocol = "v2"
accept_proxy = true

[peer]
id = "lb1"
peer_id = "lb2"
priority = 150
bind = "0.0.0.0:5405"
peers = ["10.0.0.2:5405"]
advert_interval = "200ms"
preempt = true
key_file = "/etc/lb/peer.key"
vip = "10.0.0.100/24"
interface = "eth0"
notify = "/etc/lb/notify.sh"
track = ["tcp://10.0.0.50:27017"]
arbiter = "10.0.0.50:5406"
)";

TEST_CASE("the reference example loads with the values it spells out", "[unit][config]") {
    const auto loaded = load(kReferenceExample);
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    CHECK(loaded.report.empty());
    const Config& c = *loaded.config;

    CHECK(c.source_path == "lb.toml");
    CHECK(c.global.workers == 4);
    CHECK(c.global.max_connections == 20000);
    CHECK(c.global.log_format == LogFormat::Json);
    CHECK(c.admin.socket == "/run/lb/admin.sock");
    CHECK(c.admin.mode == 0640);
    REQUIRE(c.metrics.listen.has_value());
    CHECK(c.metrics.listen->to_string() == "[::1]:9100");
    CHECK(c.timeouts.connect == 3s);
    CHECK(c.timeouts.idle == 1h);
    CHECK(c.timeouts.drain == 30s);

    CHECK(c.health.kind == CheckKind::Http);
    CHECK(c.health.port == std::optional<std::uint16_t>(443));
    CHECK(c.health.path == "/healthz");
    CHECK(c.health.expect_body == "ok");
    CHECK(c.health.interval == 1s);
    CHECK(c.health.timeout == 500ms);
    CHECK(c.health.rise == 2);
    CHECK(c.health.fall == 3);

    CHECK(c.policy.failback == Failback::Auto);
    CHECK(c.policy.failback_after == 90s);
    CHECK_FALSE(c.policy.retry_on_standby);

    REQUIRE(c.sites.size() == 2);
    CHECK(c.primary().name == "site-a");
    CHECK(c.primary().address.ip_string() == "10.0.0.11");
    CHECK(c.standby().name == "site-b");
    CHECK(c.standby().address.is_v6());
    CHECK(c.standby().address.ip_string() == "fd00::11");
    CHECK(c.standby().address.port() == 0);

    REQUIRE(c.listeners.size() == 1);
    const Listener& https = c.listeners.front();
    CHECK(https.bind.is_v6());
    CHECK(https.bind.to_string() == "[::]:443");
    CHECK(https.proxy_protocol == ProxyProtocol::V2);
    CHECK(https.accept_proxy);
    CHECK(c.site_port(c.primary(), https) == 443);
    CHECK(c.site_port(c.standby(), https) == 18443);

    REQUIRE(c.peer.has_value());
    CHECK(c.peer->id == "lb1");
    CHECK(c.peer->peer_id == "lb2");
    CHECK(c.peer->priority == 150);
    CHECK(c.peer->bind.to_string() == "0.0.0.0:5405");
    REQUIRE(c.peer->peers.size() == 1);
    CHECK(c.peer->peers.front().to_string() == "10.0.0.2:5405");
    CHECK(c.peer->advert_interval == 200ms);
    CHECK(c.peer->preempt);
    CHECK(c.peer->key_file == "/etc/lb/peer.key");
    CHECK(c.peer->vip == "10.0.0.100/24");
    CHECK(c.peer->interface == "eth0");
    CHECK(c.peer->notify == "/etc/lb/notify.sh");
    CHECK(c.peer->track == std::vector<std::string>{"tcp://10.0.0.50:27017"});
    REQUIRE(c.peer->arbiter);
    CHECK(c.peer->arbiter->to_string() == "10.0.0.50:5406");
}

TEST_CASE("absent keys keep the defaults of config.h", "[unit][config]") {
    const auto loaded = load(kSitesAndListener);
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    const Config& c = *loaded.config;
    const Config defaults;

    CHECK(c.global.workers == defaults.global.workers);
    CHECK(c.global.max_connections == 20000);
    CHECK(c.global.state_file == "/var/lib/lb/state.json");
    CHECK(c.global.log_format == LogFormat::Tcplog);
    CHECK(c.admin.socket == "/run/lb/admin.sock");
    CHECK(c.admin.mode == 0660);
    REQUIRE(c.metrics.listen.has_value());
    CHECK(c.metrics.listen->to_string() == "127.0.0.1:9100");
    CHECK(c.timeouts.connect == 3s);
    CHECK(c.timeouts.idle == 1h);
    CHECK(c.timeouts.drain == 30s);
    CHECK(c.health.kind == CheckKind::Http);
    CHECK_FALSE(c.health.port.has_value());
    CHECK(c.health.expect_status == "200-399");
    CHECK(c.health.interval == 1s);
    CHECK(c.health.timeout == 500ms);
    CHECK(c.policy.failback == Failback::Manual);
    CHECK(c.policy.failback_after == 60s);
    CHECK(c.policy.retry_on_standby);
    CHECK_FALSE(c.peer.has_value());

    REQUIRE(c.listeners.size() == 1);
    CHECK(c.listeners.front().target_port == 443);  // the bind port
    CHECK(c.listeners.front().proxy_protocol == ProxyProtocol::None);
    CHECK_FALSE(c.listeners.front().accept_proxy);
    for (const Site& site : c.sites) {
        INFO(site.name);
        CHECK(site.ports.empty());
        CHECK(site.health.interval == c.health.interval);
        CHECK(site.health.host == c.health.host);
    }
}

TEST_CASE("an empty metrics.listen turns the endpoint off", "[unit][config]") {
    const auto loaded = load("[metrics]\nlisten = \"\"\n" + std::string(kSitesAndListener));
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    CHECK_FALSE(loaded.config->metrics.listen.has_value());
}

TEST_CASE("expect_status follows the checks' grammar, spaces around items included",
          "[unit][config]") {
    const auto loaded =
        load("[health]\nexpect_status = \" 200 - 299 , 404 \"\n" + std::string(kSitesAndListener));
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    CHECK(loaded.config->health.expect_status == " 200 - 299 , 404 ");
    for (const char* bad : {"200,,204", "200,", "399-200", "2000", ""}) {
        INFO(bad);
        CHECK_FALSE(load("[health]\nexpect_status = \"" + std::string(bad) + "\"\n" +
                         std::string(kSitesAndListener))
                        .config.has_value());
    }
}

TEST_CASE("[sites.health] overrides [health] key by key for its site only", "[unit][config]") {
    const auto loaded = load(R"(
[health]
kind = "tcp"
interval = "2s"
timeout = "1s"
rise = 4

[[sites]]
name = "site-a"
address = "10.0.0.11"
role = "primary"

[[sites]]
name = "site-b"
address = "10.0.0.12"
role = "standby"
[sites.health]
port = 8443
rise = 5
timeout = "250ms"

[[listeners]]
name = "https"
bind = "0.0.0.0:443"
)");
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    const Site& a = loaded.config->primary();
    const Site& b = loaded.config->standby();

    CHECK(a.health.kind == CheckKind::Tcp);
    CHECK_FALSE(a.health.port.has_value());
    CHECK(a.health.interval == 2s);
    CHECK(a.health.timeout == 1s);
    CHECK(a.health.rise == 4);

    CHECK(b.health.kind == CheckKind::Tcp);  // inherited
    CHECK(b.health.interval == 2s);          // inherited
    CHECK(b.health.fall == 3);               // config.h's default, through [health]
    CHECK(b.health.port == std::optional<std::uint16_t>(8443));
    CHECK(b.health.rise == 5);
    CHECK(b.health.timeout == 250ms);
}

TEST_CASE("sites come back primary first whatever the file's order", "[unit][config]") {
    const auto loaded = load(R"(
[[sites]]
name = "dr"
address = "10.0.0.12"
role = "standby"

[[sites]]
name = "main"
address = "10.0.0.11"
role = "primary"

[[listeners]]
name = "https"
bind = "0.0.0.0:443"
)");
    INFO(loaded.report);
    REQUIRE(loaded.config.has_value());
    CHECK(loaded.config->primary().name == "main");
    CHECK(loaded.config->primary().role == SiteRole::Primary);
    CHECK(loaded.config->standby().name == "dr");
    CHECK(loaded.config->standby().role == SiteRole::Standby);
}

TEST_CASE("examples/lb.toml loads without a problem", "[unit][config]") {
    const std::string path = std::string(LB_SOURCE_DIR) + "/examples/lb.toml";
    Diagnostics out;
    const auto config = load_config(path, out);
    INFO(out.to_string());
    REQUIRE(config.has_value());
    CHECK(out.all().empty());
    CHECK(config->primary().name == "site-a");
    CHECK(config->standby().name == "site-b");
    CHECK(config->listeners.size() == 2);
    CHECK_FALSE(config->peer.has_value());  // one instance by default: [peer] is commented out
}

TEST_CASE("summarize names the sites, listeners, health and policy", "[unit][config]") {
    const auto loaded = load(kReferenceExample);
    REQUIRE(loaded.config.has_value());
    const std::string summary = summarize(*loaded.config);
    INFO(summary);
    for (const char* part : {"site-a", "primary", "10.0.0.11", "site-b", "standby", "fd00::11",
                             "https → port 18443", "[::]:443 → port 443", "every 1s", "rise 2",
                             "fall 3", "failback auto after 90s", "lb1 priority 150"}) {
        INFO(part);
        CHECK_THAT(summary, Catch::Contains(part));
    }
}

TEST_CASE("enums print as lb.toml spells them", "[unit][config]") {
    CHECK(std::string(to_string(LogFormat::Tcplog)) == "tcplog");
    CHECK(std::string(to_string(SiteRole::Standby)) == "standby");
    CHECK(std::string(to_string(CheckKind::Https)) == "https");
    CHECK(std::string(to_string(TlsVerify::Ca)) == "ca");
    CHECK(std::string(to_string(Failback::Manual)) == "manual");
    CHECK(std::string(to_string(ProxyProtocol::V1)) == "v1");
}

}  // namespace
}  // namespace lb::config
