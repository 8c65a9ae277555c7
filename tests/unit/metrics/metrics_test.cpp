// Metrics: the documented names, types and labels as a scraper parses them, values that move with
// the API, and data-path counters (the workers' sinks, read at scrape time) that stay exact under
// concurrent workers.
#include "lb/metrics/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include "lb/proxy/traffic_counters.h"
#include "tests/support/exposition_reader.h"

namespace lb::metrics {
namespace {

using test::Exposition;
using test::Labels;

Exposition scrape(const Metrics& metrics) {
    const auto parsed = test::parse_exposition(metrics.serialize());
    INFO(parsed.error);
    REQUIRE(parsed.exposition.has_value());
    return *parsed.exposition;
}

const std::array<std::string, kTrafficSites> kSiteNames = {"site-a", "site-b"};

// Metrics reading the data path's counters, with listeners "https" and "http" routed on worker 0
// (the test thread plays that worker).
struct Fixture {
    TrafficCounters traffic;
    Metrics metrics{{"site-a", "site-b"}, traffic, "1.2.3"};
    RouteCounters https = traffic.sink(0).route("https", kSiteNames);
    RouteCounters http = traffic.sink(0).route("http", kSiteNames);
};

// The label names every sample of `name` carries.
std::set<std::set<std::string>> label_sets(const Exposition& e, std::string_view name) {
    std::set<std::set<std::string>> sets;
    for (const auto& sample : e.all(name)) {
        std::set<std::string> keys;
        for (const auto& [key, value] : sample.labels) keys.insert(key);
        sets.insert(keys);
    }
    return sets;
}

TEST_CASE("every documented metric is exported with its type and labels", "[unit][metrics]") {
    const Fixture f;
    const Exposition e = scrape(f.metrics);

    struct Row {
        const char* family;
        const char* type;
        std::set<std::string> labels;
    };
    const Row rows[] = {
        {"lb_site_up", "gauge", {"site"}},
        {"lb_site_active", "gauge", {"site"}},
        {"lb_site_pinned", "gauge", {"site"}},
        {"lb_failovers_total", "counter", {"from", "to", "reason"}},
        {"lb_connections_total", "counter", {"listener", "site"}},
        {"lb_connections_active", "gauge", {"listener"}},
        {"lb_connection_errors_total", "counter", {"listener", "site", "reason"}},
        {"lb_bytes_total", "counter", {"listener", "direction"}},
        {"lb_health_checks_total", "counter", {"site", "result"}},
        {"lb_peer_role", "gauge", {"role"}},
        {"lb_peer_adverts_total", "counter", {"direction", "result", "reason"}},
        {"lb_peer_vip_held", "gauge", {}},
        {"lb_arbiter_lease_held", "gauge", {}},
        {"lb_log_lines_dropped_total", "counter", {}},
        {"lb_build_info", "gauge", {"version"}},
    };
    for (const Row& row : rows) {
        INFO(row.family);
        CHECK(e.type(row.family) == row.type);
        CHECK(label_sets(e, row.family) == std::set<std::set<std::string>>{row.labels});
    }
    CHECK(e.type("lb_health_check_duration_seconds") == "histogram");
    CHECK(label_sets(e, "lb_health_check_duration_seconds_bucket") ==
          std::set<std::set<std::string>>{{"site", "le"}});
    CHECK(label_sets(e, "lb_health_check_duration_seconds_count") ==
          std::set<std::set<std::string>>{{"site"}});

    // Every series exists at 0 before anything happens, so increase() sees the first event.
    CHECK(e.value("lb_site_up", {{"site", "site-b"}}) == 0);
    CHECK(e.value("lb_failovers_total",
                  {{"from", "site-a"}, {"to", "site-b"}, {"reason", "health"}}) == 0);
    CHECK(e.value("lb_failovers_total",
                  {{"from", "site-b"}, {"to", "site-a"}, {"reason", "failback"}}) == 0);
    CHECK_FALSE(e.value("lb_failovers_total",
                        {{"from", "site-a"}, {"to", "site-a"}, {"reason", "health"}}));
    CHECK(e.value("lb_connections_total", {{"listener", "http"}, {"site", "site-b"}}) == 0);
    for (const char* reason : {"connect_refused", "connect_timeout", "reset", "limit"}) {
        INFO(reason);
        CHECK(e.value("lb_connection_errors_total",
                      {{"listener", "https"}, {"site", "site-a"}, {"reason", reason}}) == 0);
    }
    CHECK(e.value("lb_connection_errors_total",
                  {{"listener", "https"}, {"site", "-"}, {"reason", "limit"}}) == 0);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "client_to_site"}}) == 0);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "site_to_client"}}) == 0);
    CHECK(e.value("lb_health_checks_total", {{"site", "site-a"}, {"result", "fail"}}) == 0);
    for (const char* role : {"master", "backup", "fault"})
        CHECK(e.value("lb_peer_role", {{"role", role}}) == 0);
    for (const char* reason :
         {"short", "oversized", "malformed", "bad_signature", "unknown_id", "replayed"}) {
        INFO(reason);
        CHECK(e.value("lb_peer_adverts_total",
                      {{"direction", "received"}, {"result", "rejected"}, {"reason", reason}}) ==
              0);
    }
    CHECK(e.value("lb_peer_vip_held", {}) == 0);
    CHECK(e.value("lb_log_lines_dropped_total", {}) == 0);
    CHECK(e.value("lb_build_info", {{"version", "1.2.3"}}) == 1);
}

TEST_CASE("lb_log_lines_dropped_total is read from its source at each scrape", "[unit][metrics]") {
    Fixture f;
    std::uint64_t dropped = 0;
    f.metrics.set_log_lines_dropped_source([&dropped] { return dropped; });
    CHECK(scrape(f.metrics).value("lb_log_lines_dropped_total", {}) == 0);
    dropped = 1234;
    CHECK(scrape(f.metrics).value("lb_log_lines_dropped_total", {}) == 1234);
}

TEST_CASE("the check duration histogram has buckets from 1 ms to 5 s", "[unit][metrics]") {
    Fixture f;
    Metrics& metrics = f.metrics;
    metrics.health_check(0, true, 0.003);
    metrics.health_check(0, false, 0.7);
    const Exposition e = scrape(metrics);

    std::vector<std::string> bounds;
    for (const auto& sample : e.all("lb_health_check_duration_seconds_bucket"))
        if (sample.labels.at("site") == "site-a") bounds.push_back(sample.labels.at("le"));
    REQUIRE(bounds.size() >= 8);
    CHECK(std::stod(bounds.front()) == Approx(0.001));
    CHECK(std::stod(bounds[bounds.size() - 2]) == Approx(5.0));
    CHECK(bounds.back() == "+Inf");

    auto bucket = [&](const char* le) {
        return e.value("lb_health_check_duration_seconds_bucket", {{"site", "site-a"}, {"le", le}});
    };
    CHECK(bucket("0.0025") == 0);  // cumulative buckets
    CHECK(bucket("0.005") == 1);
    CHECK(bucket("0.5") == 1);
    CHECK(bucket("1") == 2);
    CHECK(bucket("+Inf") == 2);
    CHECK(e.value("lb_health_check_duration_seconds_count", {{"site", "site-a"}}) == 2);
    CHECK(e.value("lb_health_check_duration_seconds_sum", {{"site", "site-a"}}) == Approx(0.703));
    CHECK(e.value("lb_health_checks_total", {{"site", "site-a"}, {"result", "ok"}}) == 1);
    CHECK(e.value("lb_health_checks_total", {{"site", "site-a"}, {"result", "fail"}}) == 1);
    CHECK(e.value("lb_health_check_duration_seconds_count", {{"site", "site-b"}}) == 0);
}

TEST_CASE("control-plane calls move their series", "[unit][metrics]") {
    Fixture f;
    Metrics& metrics = f.metrics;
    metrics.site_health(0, true);
    metrics.site_health(1, false);
    metrics.site_active(1);
    metrics.site_pinned(1);
    metrics.failover(0, 1, "health");
    metrics.failover(0, 1, "health");
    metrics.failover(1, 0, "pin");
    std::optional<PeerCounters> peer = PeerCounters{
        .role = "backup",
        .vip_held = false,
        .transitions = {{{"init", "backup"}, 1}, {{"backup", "master"}, 2}},
        .sent_ok = 5,
        .sent_error = 1,
        .received_ok = 4,
        .rejected = {{"bad_signature", 3}, {"replayed", 1}},
    };
    metrics.set_peer_source([&peer] { return peer; });

    Exposition e = scrape(metrics);
    CHECK(e.value("lb_site_up", {{"site", "site-a"}}) == 1);
    CHECK(e.value("lb_site_up", {{"site", "site-b"}}) == 0);
    CHECK(e.value("lb_site_active", {{"site", "site-a"}}) == 0);
    CHECK(e.value("lb_site_active", {{"site", "site-b"}}) == 1);
    CHECK(e.value("lb_site_pinned", {{"site", "site-b"}}) == 1);
    CHECK(e.value("lb_failovers_total",
                  {{"from", "site-a"}, {"to", "site-b"}, {"reason", "health"}}) == 2);
    CHECK(e.value("lb_failovers_total",
                  {{"from", "site-b"}, {"to", "site-a"}, {"reason", "pin"}}) == 1);
    CHECK(e.value("lb_peer_role", {{"role", "backup"}}) == 1);
    CHECK(e.value("lb_peer_role", {{"role", "master"}}) == 0);
    CHECK(e.value("lb_peer_transitions_total", {{"from", "backup"}, {"to", "master"}}) == 2);
    CHECK(e.value("lb_peer_adverts_total",
                  {{"direction", "sent"}, {"result", "ok"}, {"reason", ""}}) == 5);
    CHECK(e.value("lb_peer_adverts_total",
                  {{"direction", "sent"}, {"result", "error"}, {"reason", ""}}) == 1);
    CHECK(e.value("lb_peer_adverts_total", {{"direction", "received"},
                                            {"result", "rejected"},
                                            {"reason", "bad_signature"}}) == 3);
    CHECK(e.value("lb_peer_adverts_total",
                  {{"direction", "received"}, {"result", "rejected"}, {"reason", "unknown_id"}}) ==
          0);

    // Exclusive gauges move as one; out-of-range indices are ignored, not a crash.
    metrics.site_active(0);
    metrics.site_pinned(std::nullopt);
    peer->role = "master";
    peer->vip_held = true;
    peer->lease_held = true;
    metrics.site_health(7, true);
    metrics.failover(0, 9, "health");
    metrics.health_check(2, true, 0.1);
    e = scrape(metrics);
    CHECK(e.value("lb_site_active", {{"site", "site-a"}}) == 1);
    CHECK(e.value("lb_site_active", {{"site", "site-b"}}) == 0);
    CHECK(e.value("lb_site_pinned", {{"site", "site-b"}}) == 0);
    CHECK(e.value("lb_peer_role", {{"role", "backup"}}) == 0);
    CHECK(e.value("lb_peer_role", {{"role", "master"}}) == 1);
    CHECK(e.value("lb_peer_vip_held", {}) == 1);
    CHECK(e.value("lb_arbiter_lease_held", {}) == 1);
    peer.reset();  // no [peer]: every peer series reads 0
    e = scrape(metrics);
    CHECK(e.value("lb_peer_role", {{"role", "master"}}) == 0);
    CHECK(e.value("lb_peer_vip_held", {}) == 0);
    CHECK(e.value("lb_arbiter_lease_held", {}) == 0);
    CHECK(e.all("lb_site_up").size() == 2);
}

TEST_CASE("data-path counters move per listener and site", "[unit][metrics]") {
    Fixture f;
    const RouteCounters& https = f.https;
    https.opened(0);
    https.opened(0);
    https.retried(0, 1);
    https.closed(1);
    https.error(0, ConnectionError::ConnectRefused);
    https.rejected();
    https.error(5, ConnectionError::Reset);  // ignored
    https.error(2, ConnectionError::Limit);  // one past the sites: ignored, not "-"
    https.bytes(0, 100, 2000);
    f.http.bytes(std::nullopt, 1, 0);

    const Exposition e = scrape(f.metrics);
    CHECK(f.traffic.listener("https").total == 2);  // the route counts into its own listener
    CHECK(e.value("lb_connections_total", {{"listener", "https"}, {"site", "site-a"}}) == 2);
    CHECK(e.value("lb_connections_total", {{"listener", "https"}, {"site", "site-b"}}) == 1);
    CHECK(e.value("lb_connections_active", {{"listener", "https"}}) == 1);
    CHECK(e.value("lb_connection_errors_total",
                  {{"listener", "https"}, {"site", "site-a"}, {"reason", "connect_refused"}}) == 1);
    CHECK(e.value("lb_connection_errors_total",
                  {{"listener", "https"}, {"site", "-"}, {"reason", "limit"}}) == 1);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "client_to_site"}}) ==
          100);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "site_to_client"}}) ==
          2000);
    CHECK(e.value("lb_bytes_total", {{"listener", "http"}, {"direction", "client_to_site"}}) == 1);
}

TEST_CASE("concurrent increments from 4 threads sum exactly", "[unit][metrics]") {
    Fixture f;
    constexpr int kThreads = 4;
    constexpr int kPerThread = 50000;
    // One worker per thread, each writing only its own sink, as the data path does.
    std::vector<RouteCounters> routes;
    for (int t = 0; t < kThreads; ++t)
        routes.push_back(f.traffic.sink(static_cast<std::size_t>(t)).route("https", kSiteNames));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([https = routes[static_cast<std::size_t>(t)], t] {
            const auto site = static_cast<std::size_t>(t % 2);
            for (int i = 0; i < kPerThread; ++i) {
                https.opened(site);
                https.bytes(site, 3, 5);
                https.error(0, ConnectionError::Reset);
                https.closed(site);
            }
        });
    }
    for (auto& thread : threads) thread.join();

    const Exposition e = scrape(f.metrics);
    const double total = kThreads * kPerThread;
    CHECK(e.value("lb_connections_total", {{"listener", "https"}, {"site", "site-a"}}) ==
          total / 2);
    CHECK(e.value("lb_connections_total", {{"listener", "https"}, {"site", "site-b"}}) ==
          total / 2);
    CHECK(e.value("lb_connections_active", {{"listener", "https"}}) == 0);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "client_to_site"}}) ==
          3 * total);
    CHECK(e.value("lb_bytes_total", {{"listener", "https"}, {"direction", "site_to_client"}}) ==
          5 * total);
    CHECK(e.value("lb_connection_errors_total",
                  {{"listener", "https"}, {"site", "site-a"}, {"reason", "reset"}}) == total);
}

TEST_CASE("a reload adds series and keeps counters and references", "[unit][metrics]") {
    Fixture f;
    const RouteCounters http_before = f.http;
    http_before.opened(0);

    // The reload's routes: https removed, http moved, smtp added.
    TrafficSink& sink = f.traffic.sink(0);
    const RouteCounters http_after = sink.route("http", kSiteNames);
    (void)sink.route("smtp", kSiteNames);
    CHECK(http_after == http_before);  // same counters: they never go backwards
    http_before.closed(0);             // a draining session still holds the reference

    const Exposition e = scrape(f.metrics);
    CHECK(e.value("lb_connections_total", {{"listener", "http"}, {"site", "site-a"}}) == 1);
    CHECK(e.value("lb_connections_active", {{"listener", "http"}}) == 0);
    CHECK(e.value("lb_connections_active", {{"listener", "smtp"}}) == 0);
    CHECK(e.value("lb_connections_active", {{"listener", "https"}}) == 0);  // kept, see header
    CHECK(e.all("lb_connections_active").size() == 3);
}

TEST_CASE("connection error reasons have the documented labels, one each", "[unit][metrics]") {
    // Distinct labels, so each series names one reason; "" and "idle" are no reason.
    std::set<std::string_view> labels;
    for (const auto reason : kConnectionErrors) labels.insert(to_string(reason));
    CHECK(labels ==
          std::set<std::string_view>{"connect_refused", "connect_timeout", "reset", "limit",
                                     "proxy_header"});
    CHECK(labels.size() == kConnectionErrorCount);
}

}  // namespace
}  // namespace lb::metrics
