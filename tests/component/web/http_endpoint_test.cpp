// HttpEndpoint on a real loop and real loopback sockets: the three routes, the error answers, and
// the bounds that keep a hostile client from holding it (head size, connection count, deadline).
#include "lb/web/http_endpoint.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/component/web/endpoint_fixture.h"
#include "tests/support/exposition_reader.h"
#include "tests/support/json_reader.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::web {
namespace {

using namespace std::chrono_literals;
using testing::EndpointFixture;
using testing::http_exchange;
using testing::http_get;

TEST_CASE("GET /metrics serves the registry in the text format", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    REQUIRE(fixture.port() != 0);
    fixture.metrics().failover(0, 1, "health");
    fixture.https().opened(1);

    const auto reply = http_get(fixture.port(), "/metrics");
    REQUIRE(reply.parsed);
    CHECK(reply.status == 200);
    CHECK(reply.headers.at("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(reply.headers.at("connection") == "close");
    CHECK(reply.headers.at("content-length") == std::to_string(reply.body.size()));
    const auto parsed = test::parse_exposition(reply.body);
    INFO(parsed.error);
    REQUIRE(parsed.exposition.has_value());
    const test::Exposition& e = *parsed.exposition;
    CHECK(e.type("lb_failovers_total") == "counter");
    CHECK(e.value("lb_failovers_total",
                  {{"from", "site-alpha"}, {"to", "site-beta"}, {"reason", "health"}}) == 1);
    CHECK(e.value("lb_connections_total", {{"listener", "https"}, {"site", "site-beta"}}) == 1);
    CHECK(e.value("lb_build_info", {{"version", "0.1.0-test"}}) == 1);
    CHECK(fixture.finish() == 0);
}

TEST_CASE("GET /status.json and / render the controller's status", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());

    const auto json_reply = http_get(fixture.port(), "/status.json");
    REQUIRE(json_reply.parsed);
    CHECK(json_reply.status == 200);
    CHECK(json_reply.headers.at("content-type") == "application/json");
    const auto parsed = test::json::parse(json_reply.body);
    INFO(parsed.error);
    REQUIRE(parsed.value.has_value());
    CHECK((*parsed.value)["active_site"].string() == "site-beta");
    CHECK((*parsed.value)["sites"][0]["name"].string() == "site-alpha");
    CHECK((*parsed.value)["sites"][1]["active"].boolean());

    const auto page = http_get(fixture.port(), "/");
    REQUIRE(page.parsed);
    CHECK(page.status == 200);
    CHECK(page.headers.at("content-type") == "text/html; charset=utf-8");
    CHECK(page.headers.contains("content-security-policy"));
    CHECK(testing::site_row(page.body, "site-beta").find("class=\"active-marker\"") !=
          std::string::npos);
    CHECK(testing::site_row(page.body, "site-alpha").find("active-marker") == std::string::npos);
    CHECK(fixture.finish() == 0);
}

TEST_CASE("HEAD gets the headers of GET without the body", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    const auto get = http_get(fixture.port(), "/status.json");
    const auto head = http_get(fixture.port(), "/status.json", "HEAD");
    REQUIRE(head.parsed);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.headers.at("content-length") == std::to_string(get.body.size()));
    const auto missing = http_get(fixture.port(), "/missing", "HEAD");
    CHECK(missing.status == 404);
    CHECK(missing.body.empty());
    CHECK(fixture.finish() == 0);
}

TEST_CASE("unknown paths, other methods and garbage get 404, 405 and 400", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    struct Row {
        const char* what;
        std::string request;
        int status;
    };
    const Row rows[] = {
        {"unknown path", "GET /admin HTTP/1.1\r\n\r\n", 404},
        {"POST", "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405},
        {"DELETE", "DELETE / HTTP/1.1\r\n\r\n", 405},
        {"no version", "GET /metrics\r\n\r\n", 400},
        {"TLS hello", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11), 400},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        {"folded field", "GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n", 400},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const auto reply = http_exchange(fixture.port(), row.request);
        REQUIRE(reply.parsed);
        CHECK(reply.status == row.status);
        if (row.status == 405) CHECK(reply.headers.at("allow") == "GET, HEAD");
    }
    CHECK(fixture.finish() == 0);
}

TEST_CASE("a request head over the cap gets 431", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    const std::string huge =
        "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(9000, 'a') + "\r\n\r\n";
    const auto reply = http_exchange(fixture.port(), huge);
    REQUIRE(reply.parsed);
    CHECK(reply.status == 431);
    // Just under the cap is fine.
    const std::string fits =
        "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(8000, 'a') + "\r\n\r\n";
    CHECK(http_exchange(fixture.port(), fits).status == 200);
    CHECK(fixture.finish() == 0);
}

TEST_CASE("connections over the cap get 503 while the others stay open", "[component][metrics]") {
    HttpEndpoint::Limits limits;
    limits.max_connections = 4;
    EndpointFixture fixture(limits);
    REQUIRE(fixture.start_error().empty());

    const auto deadline = test::deadline_in(10s);
    std::vector<test::Fd> idle;
    for (int i = 0; i < 4; ++i) {
        idle.push_back(test::connect_tcp("127.0.0.1", fixture.port(), deadline));
        REQUIRE(idle.back().valid());
    }
    REQUIRE(test::wait_until([&] { return fixture.connections() == 4; }, deadline));

    const test::Fd extra = test::connect_tcp("127.0.0.1", fixture.port(), deadline);
    REQUIRE(extra.valid());
    const test::Received busy = test::recv_until_eof(extra.get(), deadline);
    CHECK(busy.data.starts_with("HTTP/1.1 503 "));
    for (const test::Fd& fd : idle) CHECK_FALSE(test::peer_closed_now(fd.get()));
    CHECK(fixture.connections() == 4);

    idle.pop_back();  // one client leaves: its slot is free again
    REQUIRE(test::wait_until([&] { return fixture.connections() == 3; }, deadline));
    CHECK(http_get(fixture.port(), "/metrics").status == 200);
    idle.clear();
    REQUIRE(test::wait_until([&] { return fixture.connections() == 0; }, deadline));
    CHECK(fixture.finish() == 0);
}

TEST_CASE("a client that sends nothing is closed at the deadline", "[component][metrics]") {
    HttpEndpoint::Limits limits;
    limits.timeout = 200ms;
    EndpointFixture fixture(limits);
    REQUIRE(fixture.start_error().empty());

    const auto started = test::SteadyClock::now();
    const test::Fd silent = test::connect_tcp("127.0.0.1", fixture.port(), test::deadline_in(5s));
    REQUIRE(silent.valid());
    CHECK(test::is_closed_within(silent.get(), test::deadline_in(5s)));
    CHECK(test::elapsed_ms(started) >= 150);  // the deadline, not an immediate close
    REQUIRE(test::wait_until([&] { return fixture.connections() == 0; }, test::deadline_in(5s)));
    CHECK(fixture.finish() == 0);
}

TEST_CASE("trickling a head byte by byte does not extend the deadline", "[component][metrics]") {
    HttpEndpoint::Limits limits;
    limits.timeout = 200ms;
    EndpointFixture fixture(limits);
    REQUIRE(fixture.start_error().empty());

    const auto started = test::SteadyClock::now();
    const test::Fd slow = test::connect_tcp("127.0.0.1", fixture.port(), test::deadline_in(5s));
    REQUIRE(slow.valid());
    const std::string head = "GET /metrics HTTP/1.1\r\n" + std::string(200, 'X');
    bool closed = false;
    for (const char c : head) {  // one byte per 20 ms: never idle, never done
        if (test::peer_closed_now(slow.get())) {
            closed = true;
            break;
        }
        if (test::send_all(slow.get(), std::string(1, c), test::deadline_in(1s)) !=
            test::IoStatus::Ok) {
            closed = true;
            break;
        }
        std::this_thread::sleep_for(20ms);  // pacing the client, not waiting for the server
    }
    CHECK(closed);
    CHECK(test::elapsed_ms(started) < 2000);
    CHECK(fixture.finish() == 0);
}

TEST_CASE("the endpoint reports bind errors", "[component][metrics]") {
    EndpointFixture first;
    REQUIRE(first.start_error().empty());
    EndpointFixture second({}, "127.0.0.1:" + std::to_string(first.port()));
    CHECK_THAT(second.start_error(), Catch::Contains("cannot"));
    CHECK(second.port() == 0);
    CHECK(second.finish() == 0);
    CHECK(first.finish() == 0);
}

TEST_CASE("the endpoint serves IPv6", "[component][metrics][ipv6]") {
    // Only a host without ::1 skips (exit 77, SKIP_RETURN_CODE): where the test can bind [::1]
    // itself, the endpoint must too, or the test fails.
    try {
        (void)test::listen_tcp("::1", 0, 1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "skipped: this host has no IPv6 loopback (%s)\n", e.what());
        std::_Exit(77);
    }
    EndpointFixture v6({}, "[::1]:0");
    INFO("start error: " << v6.start_error());
    REQUIRE(v6.start_error().empty());
    const auto reply = http_exchange(v6.port(), "GET /status.json HTTP/1.0\r\n\r\n", "::1");
    CHECK(reply.status == 200);
    CHECK(v6.finish() == 0);
}

TEST_CASE("stop closes open connections and the loop closes clean", "[component][metrics]") {
    EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    const auto deadline = test::deadline_in(10s);
    const test::Fd idle = test::connect_tcp("127.0.0.1", fixture.port(), deadline);
    const test::Fd partial = test::connect_tcp("127.0.0.1", fixture.port(), deadline);
    REQUIRE(idle.valid());
    REQUIRE(partial.valid());
    REQUIRE(test::send_all(partial.get(), "GET /met", deadline) == test::IoStatus::Ok);
    REQUIRE(test::wait_until([&] { return fixture.connections() == 2; }, deadline));
    CHECK(fixture.finish() == 0);  // destroys the endpoint with both connections open
    CHECK(test::is_closed_within(idle.get(), deadline));
    CHECK(test::is_closed_within(partial.get(), deadline));
}

}  // namespace
}  // namespace lb::web
