// The status page and /status.json as pure renderings of admin::Status: the JSON parses and
// says what the status says; every string is escaped in both formats.
#include "lb/web/status_page.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/json_reader.h"

namespace lb::web {
namespace {

admin::Status sample_status() {
    admin::Status status;
    status.version = "0.1.0";
    status.pid = 4242;
    status.uptime_s = 93784;
    status.active_site = "site-b";
    status.pinned_site = "site-b";
    status.epoch = 7;
    status.last_transition = "site-a -> site-b (pin): operator";
    status.failovers_total = 3;
    status.peer_role = "master";
    status.max_connections = 20000;
    status.connections_active = 12;
    status.connections_total = 18446744073709551615ULL;  // JSON numbers keep every digit
    status.workers = 2;

    admin::SiteStatus a;
    a.name = "site-a";
    a.role = config::SiteRole::Primary;
    a.address = "10.0.0.11";
    a.health = health::Health::Down;
    a.admin_state = policy::AdminState::Ready;
    a.last_check = admin::CheckSummary{
        false, health::CheckCause::ConnectRefused, std::nullopt, "connect refused", 12.34, 1200};
    a.check_kind = config::CheckKind::Http;
    a.checks_failed_total = 5;
    admin::SiteStatus b = a;
    b.name = "site-b";
    b.role = config::SiteRole::Standby;
    b.address = "10.0.0.12";
    b.health = health::Health::Up;
    b.active = true;
    b.pinned = true;
    b.last_check = std::nullopt;
    b.bytes_to_client = 1536;
    status.sites = {a, b};

    admin::ListenerStatus https;
    https.name = "https";
    https.bind = "0.0.0.0:443";
    https.target_port = 443;
    https.connections_total = 99;
    https.bytes_client_to_site = 10;
    status.listeners = {https};
    return status;
}

test::json::Value parse(const std::string& text) {
    auto parsed = test::json::parse(text);
    INFO(parsed.error << "\n" << text);
    REQUIRE(parsed.value.has_value());
    return std::move(*parsed.value);
}

TEST_CASE("status JSON parses and carries every field", "[unit][metrics]") {
    const test::json::Value json = parse(render_status_json(sample_status()));
    REQUIRE(json.is_object());
    CHECK(json["version"].string() == "0.1.0");
    CHECK(json["pid"].number() == 4242);
    CHECK(json["active_site"].string() == "site-b");
    CHECK(json["pinned_site"].string() == "site-b");
    CHECK(json["epoch"].number() == 7);
    CHECK(json["last_transition"].string() == "site-a -> site-b (pin): operator");
    CHECK(json["failovers_total"].number() == 3);
    CHECK(json["peer_role"].string() == "master");
    CHECK(json["connections_total"].literal() == "18446744073709551615");
    CHECK(json["workers"].number() == 2);

    const test::json::Value& sites = json["sites"];
    REQUIRE(sites.size() == 2);
    CHECK(sites[0]["name"].string() == "site-a");
    CHECK(sites[0]["health"].string() == "down");
    CHECK_FALSE(sites[0]["active"].boolean());
    CHECK(sites[0]["last_check"]["ok"].is_bool());
    CHECK_FALSE(sites[0]["last_check"]["ok"].boolean());
    CHECK(sites[0]["last_check"]["reason"].string() == "connect refused");
    CHECK(sites[0]["last_check"]["latency_ms"].number() == 12.34);
    CHECK(sites[0]["last_check"]["age_ms"].number() == 1200);
    CHECK(sites[0]["checks_failed_total"].number() == 5);
    CHECK(sites[1]["active"].boolean());
    CHECK(sites[1]["pinned"].boolean());
    CHECK(sites[1]["last_check"].is_null());
    CHECK(sites[1].contains("last_check"));
    CHECK(sites[1]["bytes_to_client"].number() == 1536);

    REQUIRE(json["listeners"].size() == 1);
    const test::json::Value& https = json["listeners"][0];
    CHECK(https["name"].string() == "https");
    CHECK(https["bind"].string() == "0.0.0.0:443");
    CHECK(https["target_port"].number() == 443);
    CHECK(https["connections_total"].number() == 99);
    CHECK(https["bytes_client_to_site"].number() == 10);
}

TEST_CASE("status JSON has null for what is absent", "[unit][metrics]") {
    admin::Status status = sample_status();
    status.pinned_site.reset();
    status.peer_role.clear();
    status.sites.clear();
    status.listeners.clear();
    const test::json::Value json = parse(render_status_json(status));
    CHECK(json["pinned_site"].is_null());
    CHECK(json["peer_role"].is_null());
    CHECK(json["sites"].is_array());
    CHECK(json["sites"].size() == 0);
}

TEST_CASE("status JSON escapes every string", "[unit][metrics]") {
    static constexpr char kControlBytes[] = "t\tn\nnul\0x\x1f\x7f";
    const std::string kControls(kControlBytes, sizeof kControlBytes - 1);
    struct Row {
        const char* what;
        std::string name;
        std::string decoded;  // what a JSON reader gets back
    };
    const Row rows[] = {
        {"quote and backslash", "a\"b\\c", "a\"b\\c"},
        {"control characters", kControls, kControls},
        {"script tag", "</script><script>", "</script><script>"},
        {"UTF-8 kept", "s\xC3\xADte", "s\xC3\xADte"},
        {"invalid UTF-8 replaced", "bad\xFF\xC0z", "bad\xEF\xBF\xBD\xEF\xBF\xBDz"},
        {"truncated sequence", "cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        admin::Status status = sample_status();
        status.sites[0].name = row.name;
        status.sites[0].last_check->reason = row.name;
        status.last_transition = row.name;
        const test::json::Value json = parse(render_status_json(status));
        CHECK(json["sites"][0]["name"].string() == row.decoded);
        CHECK(json["sites"][0]["last_check"]["reason"].string() == row.decoded);
        CHECK(json["last_transition"].string() == row.decoded);
    }
}

TEST_CASE("the status page escapes every string", "[unit][metrics]") {
    admin::Status status = sample_status();
    status.sites[0].name = "<script>alert(1)</script>";
    status.sites[0].last_check->reason = "http 503 \"<b>\" & 'x'";
    status.listeners[0].bind = "<img src=x onerror=alert(1)>";
    status.last_transition = "<iframe>";
    const std::string html = render_status_html(status);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("<iframe") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("http 503 &quot;&lt;b&gt;&quot; &amp; &#39;x&#39;") != std::string::npos);

    CHECK(html_escape("a<b>&\"'c") == "a&lt;b&gt;&amp;&quot;&#39;c");
    CHECK(html_escape("plain") == "plain");
}

// The <tr> holding `<span class="site-name">name</span>`.
std::string site_row(const std::string& html, const std::string& name) {
    const auto at = html.find("<span class=\"site-name\">" + name + "</span>");
    if (at == std::string::npos) return {};
    const auto begin = html.rfind("<tr", at);
    const auto end = html.find("</tr>", at);
    return html.substr(begin, end - begin);
}

TEST_CASE("the status page marks the active site and shows why", "[unit][metrics]") {
    admin::Status status = sample_status();
    std::string html = render_status_html(status);
    CHECK(html.starts_with("<!DOCTYPE html>"));
    CHECK(html.find("http-equiv=\"refresh\" content=\"2\"") != std::string::npos);
    CHECK(html.find("src=") == std::string::npos);  // no external assets
    CHECK(html.find("<link") == std::string::npos);
    CHECK(site_row(html, "site-b").find("class=\"active-marker\">ACTIVE<") != std::string::npos);
    CHECK(site_row(html, "site-b").find("PINNED") != std::string::npos);
    CHECK(site_row(html, "site-a").find("active-marker") == std::string::npos);
    CHECK(site_row(html, "site-a").find("connect refused") != std::string::npos);
    CHECK(site_row(html, "site-a").find("12.3 ms") != std::string::npos);  // latency
    CHECK(html.find("pinned by an operator") != std::string::npos);
    CHECK(html.find("role-master") != std::string::npos);
    CHECK(html.find("1.5 KiB") != std::string::npos);
    CHECK(html.find("1d 2h 3m") != std::string::npos);  // uptime 93784 s

    status.pinned_site.reset();
    status.sites[1].pinned = false;
    status.peer_role.clear();
    html = render_status_html(status);
    CHECK(html.find("last change: site-a -&gt; site-b (pin): operator") != std::string::npos);
    CHECK(html.find("Peer role") == std::string::npos);  // single instance: no row
    CHECK(site_row(html, "site-b").find("PINNED") == std::string::npos);
}

}  // namespace
}  // namespace lb::web

namespace lb::web {
namespace {

TEST_CASE("the status page shows the VIP and the peer of a pair", "[unit][metrics]") {
    admin::Status status = sample_status();
    admin::PeerView peer;
    peer.id = "lb1";
    peer.role = "master";
    peer.vip = "10.99.0.100";
    peer.interface = "eth0";
    peer.vip_held = true;
    peer.peer_id = "lb2";
    peer.peer_role = "backup";
    peer.peer_priority = 100;
    peer.peer_advert_age_ms = 80;
    status.peer = peer;
    std::string html = render_status_html(status);
    CHECK(html.find("Virtual IP") != std::string::npos);
    CHECK(html.find("10.99.0.100 on eth0: held here") != std::string::npos);
    CHECK(html.find("lb2 backup (priority 100), last advert") != std::string::npos);

    status.peer->vip_held = false;
    status.peer->peer_id.clear();  // the peer was never heard
    html = render_status_html(status);
    CHECK(html.find("10.99.0.100 on eth0: not held here") != std::string::npos);
    CHECK(html.find("not heard") != std::string::npos);

    status.peer.reset();  // a single instance: neither row
    html = render_status_html(status);
    CHECK(html.find("Virtual IP") == std::string::npos);
}

}  // namespace
}  // namespace lb::web
