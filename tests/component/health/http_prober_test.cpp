// HTTP checks against tiny scripted servers on the test's loop: good and bad statuses, garbage,
// truncation, oversized and slow replies, body matching (also across chunks and reads).
#include <catch2/catch.hpp>

#include "tests/component/health/probe_test_support.h"
#include "tests/component/health/scripted_server.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

// One check of `settings` against a server running `script`.
health::CheckResult check_against(ServerScript script, config::HealthSettings settings,
                                  std::string* request = nullptr) {
    TestLoop loop;
    health::CheckResult result;
    {
        ScriptedServer server(loop.get(), std::move(script));
        result = run_check(loop, target_for(settings, server.port()));
        if (request != nullptr) *request = server.last_request();
    }
    CHECK(loop.close() == 0);
    return result;
}

health::CheckResult check_against(ServerScript script) {
    return check_against(std::move(script), health_settings(config::CheckKind::Http));
}

TEST_CASE("http check: 200 is up and the request is a real HTTP/1.1 GET", "[component][health]") {
    std::string request;
    const auto result =
        check_against({.replies = {kOk}}, health_settings(config::CheckKind::Http), &request);
    CHECK(result.ok);
    CHECK_THAT(result.reason, Equals("http 200"));
    CHECK_THAT(request, StartsWith("GET /health HTTP/1.1\r\n"));
    CHECK_THAT(request, Contains("\r\nHost: gateway.test\r\n"));
    CHECK_THAT(request, Contains("\r\nConnection: close\r\n"));
}

TEST_CASE("http check: statuses outside expect_status fail with the status",
          "[component][health]") {
    const auto result = check_against(
        {.replies = {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"}});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("http 503"));
}

TEST_CASE("http check: expect_status lists and ranges", "[component][health]") {
    auto settings = health_settings(config::CheckKind::Http);
    settings.expect_status = "200-299,503";
    CHECK(check_against({.replies = {"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"}}, settings)
              .ok);
    CHECK_FALSE(
        check_against({.replies = {"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"}}, settings)
            .ok);
}

TEST_CASE("http check: an invalid expect_status fails without connecting", "[component][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {.replies = {kOk}});
        auto settings = health_settings(config::CheckKind::Http);
        settings.expect_status = "2xx";
        const auto result = run_check(loop, target_for(settings, server.port()));
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("invalid expect_status \"2xx\""));
        run_for(loop.get(), 20ms);
        CHECK(server.connections() == 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("http check: garbage is a failure", "[component][health]") {
    const auto result = check_against({.replies = {"SSH-2.0-OpenSSH_9.2p1 Debian\r\n"}});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("http: bad status line"));
}

TEST_CASE("http check: a server that talks first is not HTTP", "[component][health]") {
    const auto result = check_against({.replies = {"220 mail.example ESMTP\r\n"},
                                       .close_after_replies = false,
                                       .reply_at_once = true});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("http: bad status line"));
}

TEST_CASE("http check: a truncated reply is a failure", "[component][health]") {
    SECTION("inside the headers") {
        const auto result = check_against({.replies = {"HTTP/1.1 200 OK\r\nContent-Le"}});
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("http: truncated reply"));
    }
    SECTION("inside a Content-Length body") {
        const auto result =
            check_against({.replies = {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"}});
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("http: truncated reply"));
    }
    SECTION("no reply at all") {
        const auto result = check_against({.replies = {}});
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("http: empty reply"));
    }
}

TEST_CASE("http check: a huge reply is a failure, not a memory problem", "[component][health]") {
    const auto result =
        check_against({.replies = {"HTTP/1.1 200 OK\r\n\r\n", std::string(1 << 20, 'x')}});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("http: reply larger than 65536 bytes"));
}

TEST_CASE("http check: a slow drip past the timeout fails on time", "[component][health]") {
    std::vector<std::string> drip;
    for (char c : kOk) drip.emplace_back(1, c);
    auto settings = health_settings(config::CheckKind::Http);
    settings.timeout = 300ms;
    const auto result = check_against({.replies = drip, .gap = 40ms}, settings);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("timeout after 300ms (response)"));
}

TEST_CASE("http check: a server that accepts and never answers times out", "[component][health]") {
    auto settings = health_settings(config::CheckKind::Http);
    settings.timeout = 200ms;
    const auto result = check_against({.replies = {}, .close_after_replies = false}, settings);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("timeout after 200ms (response)"));
}

TEST_CASE("http check: expect_body", "[component][health]") {
    auto settings = health_settings(config::CheckKind::Http);
    settings.expect_body = "\"status\":\"ready\"";
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";

    SECTION("match") {
        const auto result = check_against(
            {.replies = {head + "Content-Length: 18\r\n\r\n{\"status\":\"ready\"}"}}, settings);
        CHECK(result.ok);
    }
    SECTION("mismatch") {
        const auto result = check_against(
            {.replies = {head + "Content-Length: 21\r\n\r\n{\"status\":\"draining\"}"}}, settings);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("http 200, body mismatch"));
    }
    SECTION("match split across reads and chunks") {
        const auto result = check_against(
            {.replies = {head + "Transfer-Encoding: chunked\r\n\r\n", "7\r\n{\"statu\r\n",
                         "5\r\ns\":\"r\r\n", "6\r\neady\"}\r\n", "0\r\n\r\n"},
             .gap = 5ms,
             .close_after_replies = false},
            settings);
        CHECK(result.ok);
        CHECK_THAT(result.reason, Equals("http 200"));
    }
    SECTION("match in a body read until close") {
        const auto result =
            check_against({.replies = {"HTTP/1.0 200 OK\r\n\r\n", std::string(3000, ' '),
                                       "{\"status\":\"ready\"}"},
                           .gap = 5ms},
                          settings);
        CHECK(result.ok);
    }
}

TEST_CASE("http check: a refused connect", "[component][health]") {
    TestLoop loop;
    std::uint16_t port = 0;
    {
        ScriptedServer server(loop.get(), {});
        port = server.port();
    }
    run_for(loop.get(), 10ms);  // the listener's close completes
    const auto result = run_check(loop, target_for(health_settings(config::CheckKind::Http), port));
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, Equals("connect refused"));
    CHECK(loop.close() == 0);
}

TEST_CASE("https check against a plain HTTP server fails the handshake", "[component][health]") {
    auto settings = health_settings(config::CheckKind::Https);
    const auto result =
        check_against({.replies = {"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"},
                       .close_after_replies = false,
                       .reply_at_once = true},
                      settings);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.reason, StartsWith("tls handshake: "));
}

TEST_CASE("https check: a server that closes during the handshake", "[component][health]") {
    const auto result = check_against({.replies = {}, .reply_at_once = true},
                                      health_settings(config::CheckKind::Https));
    CHECK_FALSE(result.ok);
    // EOF or RST, depending on whether the ClientHello reached the closed socket.
    CHECK_THAT(result.reason, Contains("tls handshake"));
}

TEST_CASE("http check: cancelling mid-response reports nothing", "[component][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {.replies = {}, .close_after_replies = false});
        auto prober = health::make_prober(loop.get(), config::CheckKind::Http);
        int calls = 0;
        prober->start(target_for(health_settings(config::CheckKind::Http), server.port()),
                      [&](health::CheckResult) { ++calls; });
        REQUIRE(loop.run_until([&] { return !server.last_request().empty(); }, 5s));
        prober.reset();
        run_for(loop.get(), 20ms);
        CHECK(calls == 0);
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
