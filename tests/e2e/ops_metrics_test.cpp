// End-to-end tests of lb's observability: /metrics scraped over HTTP and parsed as a Prometheus
// scraper would, /status.json and the status page, and log_format = "json" on stderr.
#include <signal.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/ops_fixture.h"

namespace lb::test::ops {
namespace {

// The documented metrics (lb/metrics/README.md) and their types.
const std::vector<std::pair<std::string, std::string>> kDocumentedMetrics = {
    {"lb_site_up", "gauge"},
    {"lb_site_active", "gauge"},
    {"lb_site_pinned", "gauge"},
    {"lb_failovers_total", "counter"},
    {"lb_connections_total", "counter"},
    {"lb_connections_active", "gauge"},
    {"lb_connection_errors_total", "counter"},
    {"lb_bytes_total", "counter"},
    {"lb_health_checks_total", "counter"},
    {"lb_health_check_duration_seconds", "histogram"},
    {"lb_peer_role", "gauge"},
    {"lb_peer_adverts_total", "counter"},
    {"lb_log_lines_dropped_total", "counter"},
    {"lb_build_info", "gauge"},
};

// Scrapes until `pred` holds; the last exposition (REQUIREs the condition).
Exposition require_scrape(std::uint16_t port, const std::function<bool(const Exposition&)>& pred,
                          std::string_view what, Deadline deadline = deadline_in(10s)) {
    std::optional<Exposition> last;
    const bool held = wait_until(
        [&] {
            last = scrape(port);
            return pred(*last);
        },
        deadline, 20ms);
    INFO("waiting for: " << what);
    INFO("last /metrics:\n" << fetch_http(port, "/metrics").value_or(HttpReply{}).body);
    REQUIRE(held);
    return std::move(*last);
}

// The sample's value, or -1 (no metric here can be negative) when it is absent.
double value_or_absent(const Exposition& e, std::string_view name, const Labels& labels) {
    return e.value(name, labels).value_or(-1);
}

TEST_CASE("metrics: every documented metric with its type, counters move with traffic",
          "[e2e][ops][metrics]") {
    Rig rig;
    rig.config.metrics_port = free_port(kClientIp);
    auto lb = rig.start();
    const std::uint16_t port = rig.config.metrics_port;

    const Exposition before = scrape(port);
    for (const auto& [name, type] : kDocumentedMetrics) {
        INFO("metric " << name);
        CHECK(before.type(name) == type);
        CHECK_FALSE(before.all(type == "histogram" ? name + "_count" : name).empty());
    }
    CHECK(metric(before, "lb_site_up", {{"site", "site-a"}}) == 1);
    CHECK(metric(before, "lb_site_up", {{"site", "site-b"}}) == 1);
    CHECK(metric(before, "lb_site_active", {{"site", "site-a"}}) == 1);
    CHECK(metric(before, "lb_site_active", {{"site", "site-b"}}) == 0);
    CHECK(metric(before, "lb_site_pinned", {{"site", "site-a"}}) == 0);
    CHECK(metric(before, "lb_site_pinned", {{"site", "site-b"}}) == 0);
    CHECK(metric(before, "lb_failovers_total",
                 {{"from", "site-a"}, {"to", "site-b"}, {"reason", "health"}}) == 0);
    CHECK(metric(before, "lb_connections_active", {{"listener", "front"}}) == 0);
    for (const char* site : {"site-a", "site-b"})
        for (const char* reason : {"connect_refused", "connect_timeout", "reset", "limit"}) {
            INFO("site " << site << " reason " << reason);
            CHECK(metric(before, "lb_connection_errors_total",
                         {{"listener", "front"}, {"site", site}, {"reason", reason}}) == 0);
        }
    CHECK(metric(before, "lb_health_checks_total", {{"site", "site-a"}, {"result", "ok"}}) >= 1);
    const double checks =
        metric(before, "lb_health_check_duration_seconds_count", {{"site", "site-a"}});
    CHECK(checks >= 1);
    CHECK(metric(before, "lb_health_check_duration_seconds_bucket",
                 {{"site", "site-a"}, {"le", "+Inf"}}) == checks);
    for (const char* role : {"master", "backup", "fault"})
        CHECK(metric(before, "lb_peer_role", {{"role", role}}) == 0);  // no [peer]
    const auto build = before.all("lb_build_info");
    REQUIRE(build.size() == 1);
    CHECK(build[0].value == 1);
    CHECK(build[0].labels.at("version") ==
          key_values(admin(rig.socket(), "show info")).at("Version"));

    const Labels a_front = {{"listener", "front"}, {"site", "site-a"}};
    const Labels b_front = {{"listener", "front"}, {"site", "site-b"}};
    const Labels to_site = {{"listener", "front"}, {"direction", "client_to_site"}};
    const Labels to_client = {{"listener", "front"}, {"direction", "site_to_client"}};
    const double connections_a = metric(before, "lb_connections_total", a_front);
    const double connections_b = metric(before, "lb_connections_total", b_front);
    const double sent = metric(before, "lb_bytes_total", to_site);
    const double received = metric(before, "lb_bytes_total", to_client);

    std::size_t bytes = 0;
    for (const std::size_t size : {std::size_t{10000}, std::size_t{250000}}) {
        REQUIRE(transfer(rig.front, rig.sites, size, size + 7) == "site-a");
        bytes += size;
    }
    Session open = open_session(rig.front, rig.sites);
    REQUIRE(open.site == "site-a");
    bytes += open.greeting_bytes;
    const auto moved = [&](const Exposition& e) {
        return value_or_absent(e, "lb_connections_total", a_front) == connections_a + 3 &&
               value_or_absent(e, "lb_bytes_total", to_site) == sent + static_cast<double>(bytes) &&
               value_or_absent(e, "lb_bytes_total", to_client) ==
                   received + static_cast<double>(bytes);
    };
    const Exposition during = require_scrape(port, moved, "3 connections and their bytes");
    CHECK(metric(during, "lb_connections_active", {{"listener", "front"}}) == 1);
    CHECK(metric(during, "lb_connections_total", b_front) == connections_b);

    open.fd.reset();
    const Exposition after = require_scrape(
        port,
        [](const Exposition& e) {
            return value_or_absent(e, "lb_connections_active", {{"listener", "front"}}) == 0;
        },
        "the open session closed");
    CHECK(moved(after));
    CHECK(metric(after, "lb_health_checks_total", {{"site", "site-b"}, {"result", "ok"}}) >=
          metric(before, "lb_health_checks_total", {{"site", "site-b"}, {"result", "ok"}}));
}

TEST_CASE("metrics: /status.json and the status page show the sites", "[e2e][ops][metrics]") {
    Rig rig;
    rig.config.metrics_port = free_port(kClientIp);
    auto lb = rig.start();
    const std::uint16_t port = rig.config.metrics_port;

    const auto json_reply = fetch_http(port, "/status.json");
    REQUIRE(json_reply);
    CHECK(json_reply->status == 200);
    CHECK(json_reply->head.find("Content-Type: application/json") != std::string::npos);
    const json::ParseResult parsed = json::parse(json_reply->body);
    INFO("/status.json: " << json_reply->body << "\nerror: " << parsed.error);
    REQUIRE(parsed.value);
    const json::Value& status = *parsed.value;
    CHECK(status["active_site"].string() == "site-a");
    CHECK(status["pinned_site"].is_null());
    CHECK(u64(status["pid"]) == static_cast<std::uint64_t>(lb->pid()));
    REQUIRE(status["sites"].size() == 2);
    CHECK(by_name(status["sites"], "site-a")["health"].string() == "up");
    CHECK(by_name(status["sites"], "site-a")["active"].boolean());
    CHECK(by_name(status["sites"], "site-b")["health"].string() == "up");
    CHECK(by_name(status["sites"], "site-b")["role"].string() == "standby");
    CHECK(by_name(status["listeners"], "front")["bind"].string() ==
          endpoint(kClientIp, rig.front.port));

    // After a pin, the page and the JSON follow.
    REQUIRE_FALSE(is_error(admin(rig.socket(), "pin site-b")));
    const auto pinned = fetch_http(port, "/status.json");
    REQUIRE(pinned);
    const json::ParseResult pinned_doc = json::parse(pinned->body);
    REQUIRE(pinned_doc.value);
    CHECK((*pinned_doc.value)["active_site"].string() == "site-b");
    CHECK((*pinned_doc.value)["pinned_site"].string() == "site-b");
    CHECK(metric(scrape(port), "lb_site_pinned", {{"site", "site-b"}}) == 1);

    const auto page = fetch_http(port, "/");
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->head.find("Content-Type: text/html") != std::string::npos);
    for (const char* text : {"site-a", "site-b", "front", kSiteA, kSiteB}) {
        INFO("status page lacks " << text);
        CHECK(page->body.find(text) != std::string::npos);
    }
    const auto missing = fetch_http(port, "/nope");
    REQUIRE(missing);
    CHECK(missing->status == 404);
}

TEST_CASE("metrics: a health failover moves lb_failovers_total and lb_site_active",
          "[e2e][ops][metrics][failover]") {
    Rig rig;
    rig.config.metrics_port = free_port(kClientIp);
    rig.config.fall = 1;
    auto lb = rig.start();
    const std::uint16_t port = rig.config.metrics_port;
    const Labels health_a_to_b = {{"from", "site-a"}, {"to", "site-b"}, {"reason", "health"}};

    const Exposition before = scrape(port);
    CHECK(metric(before, "lb_failovers_total", health_a_to_b) == 0);
    CHECK(metric(before, "lb_site_active", {{"site", "site-a"}}) == 1);
    const double failed_checks =
        metric(before, "lb_health_checks_total", {{"site", "site-a"}, {"result", "fail"}});

    rig.sites.stop("site-a");
    const Exposition after = require_scrape(
        port,
        [](const Exposition& e) {
            return value_or_absent(e, "lb_site_active", {{"site", "site-b"}}) == 1;
        },
        "site-b active");
    CHECK(metric(after, "lb_failovers_total", health_a_to_b) == 1);
    CHECK(metric(after, "lb_site_active", {{"site", "site-a"}}) == 0);
    CHECK(metric(after, "lb_site_up", {{"site", "site-a"}}) == 0);
    CHECK(metric(after, "lb_site_up", {{"site", "site-b"}}) == 1);
    CHECK(metric(after, "lb_health_checks_total", {{"site", "site-a"}, {"result", "fail"}}) >
          failed_checks);
    CHECK(metric_sum(after, "lb_failovers_total", {}) == 1);  // one failover, nothing else
    CHECK(route_of(rig.front, rig.sites) == "site-b");
    const json::Value status = admin_json(rig.socket(), "show status json");
    CHECK(u64(status["failovers_total"]) == 1);
}

TEST_CASE(
    "metrics: lb_connection_errors_total with reason limit counts refusals over "
    "max_connections",
    "[e2e][ops][metrics][limits]") {
    Rig rig;
    rig.config.metrics_port = free_port(kClientIp);
    rig.config.max_connections = 2;
    auto lb = rig.start();
    const std::uint16_t port = rig.config.metrics_port;
    const double limited = metric_sum(scrape(port), "lb_connection_errors_total",
                                      {{"listener", "front"}, {"reason", "limit"}});
    CHECK(limited == 0);

    std::vector<Session> held;
    for (int i = 0; i < 2; ++i) held.push_back(open_session(rig.front, rig.sites));
    const Closure extra = connect_and_wait_closed(rig.front, deadline_in(5s));
    INFO("connection over the limit: " << to_string(extra.how) << " after " << extra.after_ms
                                       << " ms");
    CHECK(extra.closed());
    const Exposition after = require_scrape(
        port,
        [](const Exposition& e) {
            return metric_sum(e, "lb_connection_errors_total",
                              {{"listener", "front"}, {"reason", "limit"}}) == 1;
        },
        "one limit error");
    // Refused before a site was chosen: site "-".
    CHECK(metric(after, "lb_connection_errors_total",
                 {{"listener", "front"}, {"site", "-"}, {"reason", "limit"}}) == 1);
    CHECK(metric(after, "lb_connections_active", {{"listener", "front"}}) == 2);
    CHECK(u64(by_name(admin_json(rig.socket(), "show listeners json")["listeners"],
                      "front")["rejected_total"]) == 1);
    for (Session& session : held) CHECK(echo_once(session.fd.get(), "still served"));
}

TEST_CASE(
    "log_format = json: every stderr line is a JSON object, connections and events carry "
    "their fields",
    "[e2e][ops][log]") {
    Rig rig;
    rig.config.log_format = "json";
    rig.config.fall = 1;
    auto lb = rig.start();
    const auto sock = rig.socket();

    Session session = open_session(rig.front, rig.sites);
    REQUIRE(session.site == "site-a");
    const std::string payload(4000, 'p');
    REQUIRE(echo_once(session.fd.get(), payload));
    REQUIRE(shutdown_write(session.fd.get()));
    REQUIRE(wait_closed(session.fd.get(), deadline_in(5s)) == IoStatus::Eof);
    const std::size_t bytes = session.greeting_bytes + payload.size();
    const std::string client = endpoint(kClientIp, session.client_port);

    REQUIRE_FALSE(is_error(admin(sock, "pin site-a")));
    REQUIRE_FALSE(is_error(admin(sock, "unpin")));
    REQUIRE_FALSE(is_error(admin(sock, "reload")));
    rig.sites.stop("site-a");
    require_active(sock, "site-b");
    CHECK(route_of(rig.front, rig.sites) == "site-b");
    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    CHECK(stopped.exit_code == 0);

    const std::vector<std::string> lines = lb->log_lines();
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(lines.size() >= 8);
    std::vector<json::Value> objects;
    for (const std::string& line : lines) {
        json::ParseResult parsed = json::parse(line);
        INFO("line: " << line << "\nerror: " << parsed.error);
        REQUIRE(parsed.value);
        REQUIRE(parsed.value->is_object());
        CHECK((*parsed.value)["event"].is_string());
        CHECK((*parsed.value)["time"].is_string());
        objects.push_back(std::move(*parsed.value));
    }
    const auto find =
        [&](const std::function<bool(const json::Value&)>& pred) -> const json::Value* {
        for (const json::Value& object : objects)
            if (pred(object)) return &object;
        return nullptr;
    };

    std::size_t connection_lines = 0;
    for (const json::Value& object : objects) {
        if (object["event"].string() != "connection") {
            CHECK(object["level"].is_string());
            CHECK(object["message"].is_string());
            continue;
        }
        ++connection_lines;
        CHECK(object["client"].string().starts_with("127.0.0.1:"));
        CHECK(object["listener"].string() == "front");
        CHECK((object["site"].string() == "site-a" || object["site"].string() == "site-b"));
        CHECK(object["bytes_to_client"].is_number());
        CHECK(object["bytes_to_site"].is_number());
        CHECK(object["termination"].is_string());
    }
    CHECK(connection_lines >= 2);
    const json::Value* mine = find([&](const json::Value& o) {
        return o["event"].string() == "connection" && o["client"].string() == client;
    });
    REQUIRE(mine);
    CHECK((*mine)["site"].string() == "site-a");
    CHECK(u64((*mine)["bytes_to_site"]) == bytes);
    CHECK(u64((*mine)["bytes_to_client"]) == bytes);
    CHECK((*mine)["termination"].string() == "--");

    const json::Value* failover =
        find([](const json::Value& o) { return o["event"].string() == "failover"; });
    REQUIRE(failover);
    CHECK((*failover)["from"].string() == "site-a");
    CHECK((*failover)["to"].string() == "site-b");
    CHECK((*failover)["reason"].string() == "health");
    CHECK(find([](const json::Value& o) {
        return o["event"].string() == "health" && o["site"].string() == "site-a" &&
               o["state"].string() == "down";
    }));
    CHECK(find([](const json::Value& o) {
        return o["event"].string() == "pin" && o["site"].string() == "site-a";
    }));
    CHECK(find([](const json::Value& o) {
        return o["event"].string() == "reload" && o["result"].string() == "applied";
    }));
}

TEST_CASE("log_format = json: config warnings, at start and at reload, are JSON lines too",
          "[e2e][ops][log]") {
    Rig rig;
    rig.config.log_format = "json";
    // Valid, but `lb check` warns: a check timeout not shorter than the interval.
    rig.config.health_interval = "200ms";
    rig.config.health_timeout = "200ms";
    auto lb = rig.start();
    REQUIRE_FALSE(is_error(admin(rig.socket(), "reload")));
    REQUIRE(lb->wait_for_log(
        [](std::string_view line) { return message_starts_with(line, "reload: applied"); },
        deadline_in(5s)));
    CHECK(lb->stop(SIGTERM, deadline_in(10s)).exit_code == 0);

    const std::vector<std::string> lines = lb->log_lines();
    INFO("lb log:\n" << lb->log_text());
    std::size_t warnings = 0;
    for (const std::string& line : lines) {
        const json::ParseResult parsed = json::parse(line);
        INFO("line: " << line);
        CHECK((parsed.value && parsed.value->is_object()));
        if (line.find("health.timeout") != std::string::npos) ++warnings;
    }
    // The warning is reported once at start and once at the reload, as JSON objects.
    CHECK(warnings == 2);
}

}  // namespace
}  // namespace lb::test::ops
