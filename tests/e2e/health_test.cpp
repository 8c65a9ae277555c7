// End-to-end tests of health checks at start and over TLS, with a real lb and real NGINX
// gateways: a start never lands on the standby because it answered first; a start with the
// primary's gateway down fails over once it is known down, retrying clients meanwhile; HTTPS
// checks with verify = "none" and "ca" (the gateway sees the configured host as SNI), and the TLS
// reason when verification fails.
#include <algorithm>
#include <numeric>

#include "tests/e2e/failover_fixture.h"
#include "tests/support/test_certs.h"

namespace lb::test {
namespace {

bool any_failover(std::string_view line) { return is_failover_line(line); }

TEST_CASE("start: the standby being up first is no reason to leave the primary",
          "[e2e][failover][start]") {
    TwoSites sites;
    FailoverSetup setup = default_setup(sites);
    // site-a needs four good checks, site-b two: site-b is up while site-a is still unknown.
    setup.site_a_health.rise = 4;
    sites.a.start();
    sites.b.start();
    auto lb = start_lb(failover_config(setup));

    // Clients from the first moment on, until site-a is up: all of them on site-a.
    int requests = 0;
    for (; requests < 500; ++requests) {
        const HttpAttempt attempt = http_get(setup.front);
        INFO("request " << requests << ": " << describe(attempt, attempt.start));
        INFO("lb log:\n" << lb->log_text());
        REQUIRE(attempt.outcome == Outcome::Ok);
        REQUIRE(attempt.site == "site-a");
        if (count_lines(lb->log_lines(),
                        [](std::string_view l) { return is_health_line(l, "site-a", "up"); }) > 0)
            break;
        std::this_thread::sleep_for(20ms);  // the pace of the clients
    }
    const std::vector<std::string> log = lb->log_lines();
    INFO("lb log:\n" << lb->log_text());
    const std::size_t b_up =
        index_of(log, [](std::string_view l) { return is_health_line(l, "site-b", "up"); });
    const std::size_t a_up =
        index_of(log, [](std::string_view l) { return is_health_line(l, "site-a", "up"); });
    REQUIRE(a_up < log.size());
    CHECK(b_up < a_up);  // the case under test did happen
    CHECK(requests >= 3);
    CHECK(count_lines(log, any_failover) == 0);
    (void)require_answers(setup.front, *lb, "site-a", 3);
    // No decision was made, so none was written.
    const auto state_path = lb->dir() / "state.json";
    if (std::filesystem::exists(state_path)) {
        const auto state = parse_state(read_file(state_path));
        REQUIRE(state.has_value());
        CHECK(state->active == "site-a");
        CHECK(state->epoch == 0);
    }
}

TEST_CASE("start with site-a's gateway down: failover once site-a is known down",
          "[e2e][failover][start]") {
    TwoSites sites;
    FailoverSetup setup = default_setup(sites);
    sites.b.start();  // site-a's gateway is never started: its port refuses

    SECTION("by the active checks alone, after fall failed checks") {
        auto lb = start_lb(failover_config(setup));
        const auto ready_at = SteadyClock::now();
        require_failover(*lb, "site-a", "site-b", "health");
        const long long took = elapsed_ms(ready_at);
        WARN("start with site-a down: ready -> failover " << took << " ms (fall 2 x 200ms)");
        const std::vector<std::string> log = lb->log_lines();
        INFO("lb log:\n" << lb->log_text());
        const std::size_t a_down =
            index_of(log, [](std::string_view l) { return is_health_line(l, "site-a", "down"); });
        const std::size_t b_up =
            index_of(log, [](std::string_view l) { return is_health_line(l, "site-b", "up"); });
        const std::size_t failover = index_of(log, any_failover);
        // Not before site-a is known down and site-b known up.
        CHECK(a_down < failover);
        CHECK(b_up < failover);
        CHECK(log.at(a_down).find("passive") == std::string::npos);
        CHECK(took < 3000);
        const auto answers = require_answers(setup.front, *lb, "site-b", 3);
        for (const HttpAttempt& answer : answers) {
            const auto line = lb->wait_for_tcplog(answer.client_port, deadline_in(5s));
            REQUIRE(line.has_value());
            CHECK(line->retries == 0);
        }
        CHECK(count_lines(lb->log_lines(), any_failover) == 1);
    }

    SECTION("clients before it is known down are retried on site-b") {
        // site-a's second active check is 10 s away: after its first failed check only the
        // clients' failed connects (passive checks) can bring it down, so exactly which
        // clients meet the refusal is known: fall - 1 of them at least. With no passive window,
        // fall failed connects in a row suffice however quickly they come (the window has tests
        // of its own, in passive_health_test.cpp).
        setup.site_a_health.interval = "10s";
        setup.site_a_health.fall = 3;
        setup.site_a_health.passive_window = "0s";
        auto lb = start_lb(failover_config(setup));
        require_health(*lb, "site-b", "up");
        CHECK(count_lines(lb->log_lines(), any_failover) == 0);

        const auto answers = require_answers(setup.front, *lb, "site-b", 6);
        require_failover(*lb, "site-a", "site-b", "health");
        const std::string down = require_health(*lb, "site-a", "down");
        CHECK(down.find("passive: connection refused") != std::string::npos);
        std::size_t retried = 0;
        for (const HttpAttempt& answer : answers) {
            const auto line = lb->wait_for_tcplog(answer.client_port, deadline_in(5s));
            INFO("lb log:\n" << lb->log_text());
            REQUIRE(line.has_value());
            CHECK(line->site == "site-b");
            CHECK(line->term == "--");
            CHECK(line->retries <= 1);
            if (line->retries == 1) ++retried;
        }
        INFO("lb log:\n" << lb->log_text());
        WARN("start with site-a down: " << retried << " of " << answers.size()
                                        << " clients retried on site-b");
        CHECK(retried >= 2);
        CHECK(count_lines(lb->log_lines(), any_failover) == 1);
    }
}

TEST_CASE("https checks against NGINX with TLS: verify none, verify ca, and failures",
          "[e2e][failover][health][tls]") {
    const TempDir certs("lb-e2e-certs");
    const TestCertificateAuthority ca(certs.path().string(), "ca");
    const TestCertificateAuthority other_ca(certs.path().string(), "other-ca", "another CA");
    const CertFiles server = ca.issue("gateway", {"gateway.test"});

    const GatewayTls tls{
        .port = free_port_everywhere(), .cert_file = server.cert, .key_file = server.key};
    TwoSites sites(tls);
    sites.a.start();
    sites.b.start();

    FailoverSetup setup = default_setup(sites);
    SiteHealthToml health;
    health.kind = "https";
    health.port = tls.port;
    health.host = "gateway.test";
    // Room for a TLS handshake on a loaded machine; the timeout stays below the interval.
    health.interval = "500ms";
    health.timeout = "400ms";

    const auto expect_up = [&](const FailoverSetup& s) {
        auto lb = start_lb(failover_config(s));
        for (const char* site : {"site-a", "site-b"}) {
            const std::string line = require_health(*lb, site, "up");
            CHECK(line.find(": http 200") != std::string::npos);
        }
        (void)require_answers(s.front, *lb, "site-a", 1);
        // Every check named the configured host in its SNI.
        for (const Gateway* gateway : {&sites.a, &sites.b}) {
            const std::vector<std::string> requests = gateway->tls_requests();
            INFO(gateway->site() << "'s TLS requests (SNI URI):\n"
                                 << std::accumulate(requests.begin(), requests.end(), std::string(),
                                                    [](std::string all, const std::string& line) {
                                                        return all + line + "\n";
                                                    }));
            CHECK_FALSE(requests.empty());
            for (const std::string& request : requests)
                CHECK(request == "gateway.test " + std::string(kHealthPath));
        }
    };
    const auto expect_down = [&](const FailoverSetup& s, std::string_view reason) {
        auto lb = start_lb(failover_config(s));
        for (const char* site : {"site-a", "site-b"}) {
            const std::string line = require_health(*lb, site, "down");
            INFO(line);
            CHECK(line.find(": tls") != std::string::npos);
            CHECK(line.find(reason) != std::string::npos);
        }
        const std::vector<std::string> log = lb->log_lines();
        INFO("lb log:\n" << lb->log_text());
        CHECK(count_lines(log, [](std::string_view l) {
                  return is_health_line(l, "site-a", "up") || is_health_line(l, "site-b", "up");
              }) == 0);
        CHECK(count_lines(log, any_failover) == 0);
    };

    SECTION("verify = \"none\": both sites up") {
        health.verify = "none";
        setup.site_a_health = setup.site_b_health = health;
        expect_up(setup);
    }
    SECTION("verify = \"ca\" with the issuing CA and the certificate's host: both sites up") {
        health.verify = "ca";
        health.ca_file = ca.cert_file();
        setup.site_a_health = setup.site_b_health = health;
        expect_up(setup);
    }
    SECTION("verify = \"ca\" with another CA: both sites down, for a TLS reason") {
        health.verify = "ca";
        health.ca_file = other_ca.cert_file();
        setup.site_a_health = setup.site_b_health = health;
        expect_down(setup, "certificate verify failed");
    }
    SECTION("verify = \"ca\" with a host the certificate does not name: down, for a TLS reason") {
        health.verify = "ca";
        health.ca_file = ca.cert_file();
        health.host = "other.test";
        setup.site_a_health = setup.site_b_health = health;
        expect_down(setup, "certificate verify failed");
    }
}

}  // namespace
}  // namespace lb::test
