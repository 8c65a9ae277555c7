// Passive health checks judged over time (health.passive_window): a burst of refused connects
// from a healthy gateway under load is no failover, a dead gateway under load is caught by the
// passive checks alone. Real NGINX gateways carry the traffic; each site's active checks go to
// a port of its own that keeps answering throughout, so only client connects can bring site-a
// down, and what the test changes is the traffic port alone.
#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "tests/e2e/failover_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/reply_server.h"

namespace lb::test {
namespace {

// site-a and site-b as NGINX gateways on one port, each checked (TCP) on a port of its own
// served by a ReplyServer that nothing in these tests stops.
struct PassiveRig {
    explicit PassiveRig(const std::string& passive_window, int fall) {
        setup = default_setup(sites);
        for (SiteHealthToml* health : {&setup.site_a_health, &setup.site_b_health}) {
            health->kind = "tcp";
            health->port = check_port;
            health->fall = fall;
            health->passive_window = passive_window;
        }
        sites.a.start();
        sites.b.start();
        LbConfig config = failover_config(setup);
        config.metrics_port = metrics_port;
        lb = start_lb(config);
        require_health(*lb, "site-a", "up");
        require_health(*lb, "site-b", "up");
    }

    // Client connects to site-a that site-a refused, as lb counts them.
    [[nodiscard]] double refused_by_site_a() const {
        return ops::metric_sum(ops::scrape(metrics_port), "lb_connection_errors_total",
                               {{"site", "site-a"}, {"reason", "connect_refused"}});
    }

    TwoSites sites;
    std::uint16_t check_port = free_port_everywhere();
    std::uint16_t metrics_port = free_port();
    ReplyServer check_a{{.netns = "", .ip = kSiteA, .port = check_port, .body = "site-a"}};
    ReplyServer check_b{{.netns = "", .ip = kSiteB, .port = check_port, .body = "site-b"}};
    FailoverSetup setup;
    std::unique_ptr<LbProcess> lb;
};

// Requests that got no answer; each must be one in flight while a gateway's processes died (cut
// by a reset, or closed before any reply: NGINX's worker may outlive its master by a moment),
// never a refusal or a timeout.
std::size_t failed_requests(const std::vector<HttpAttempt>& attempts) {
    std::size_t failed = 0;
    for (const HttpAttempt& attempt : attempts) {
        if (attempt.outcome == Outcome::Ok) continue;
        ++failed;
        INFO(describe(attempt, attempts.front().start));
        CHECK((attempt.outcome == Outcome::Reset || attempt.outcome == Outcome::NoReply));
    }
    return failed;
}

TEST_CASE("passive checks: a healthy gateway that refuses bursts of connects among thousands "
          "is not failed over",
          "[e2e][health][passive]") {
    // A window far longer than any burst below can last, even on a loaded machine.
    PassiveRig rig("5s", 3);
    // Back-to-back requests through lb, as under load; retry_on_standby hides the refusals.
    TrafficRecorder traffic(rig.setup.front, std::chrono::milliseconds(0), 20'000);
    REQUIRE(wait_until([&] { return traffic.ok_count("site-a") >= 300; }, deadline_in(20s)));

    // Three bursts: site-a's gateway goes away until lb has seen more than `fall` of its
    // client connects refused, then comes back on the same port and serves again.
    for (int burst = 1; burst <= 3; ++burst) {
        INFO("burst " << burst);
        const double refused_before = rig.refused_by_site_a();
        rig.sites.a.kill();
        const bool refused = wait_until(
            [&] { return rig.refused_by_site_a() >= refused_before + 5; }, deadline_in(10s));
        rig.sites.a.start();
        REQUIRE(refused);
        const std::size_t served_before = traffic.ok_count("site-a");
        REQUIRE(wait_until([&] { return traffic.ok_count("site-a") >= served_before + 300; },
                           deadline_in(20s)));
    }
    traffic.stop();

    const std::vector<HttpAttempt> attempts = traffic.attempts();
    INFO("lb log:\n" << rig.lb->log_text());
    CHECK(attempts.size() >= 1000);  // the refusals were a handful among thousands
    CHECK(rig.refused_by_site_a() >= 15);
    CHECK(count_lines(rig.lb->log_lines(), [](std::string_view line) {
              return is_failover_line(line);
          }) == 0);
    CHECK(count_lines(rig.lb->log_lines(), [](std::string_view line) {
              return is_health_line(line, "site-a", "down");
          }) == 0);
    // Each refused connect was retried on site-b: the only errors a client saw were requests in
    // flight while the gateway died, a couple per burst at most.
    CHECK(failed_requests(attempts) <= 6);
    const Exposition metrics = ops::scrape(rig.metrics_port);
    CHECK(ops::metric(metrics, "lb_site_active", {{"site", "site-a"}}) == 1);
}

TEST_CASE("passive checks: a dead gateway under load is caught while its active checks still "
          "pass, and the clients see no error",
          "[e2e][health][passive]") {
    PassiveRig rig("200ms", 3);  // the default window, written out
    TrafficRecorder traffic(rig.setup.front, std::chrono::milliseconds(0), 20'000);
    REQUIRE(wait_until([&] { return traffic.ok_count("site-a") >= 300; }, deadline_in(20s)));

    const auto killed_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    rig.sites.a.kill();  // the traffic port only: site-a's check port keeps answering
    const std::string down = require_health(*rig.lb, "site-a", "down");
    const std::string failover = require_failover(*rig.lb, "site-a", "site-b", "health");
    const std::size_t served_by_b = traffic.ok_count("site-b");
    REQUIRE(wait_until([&] { return traffic.ok_count("site-b") >= served_by_b + 100; },
                       deadline_in(20s)));
    traffic.stop();

    INFO("lb log:\n" << rig.lb->log_text());
    // The passive path said so, naming its run and how long it lasted (not the active checks:
    // they passed all along).
    CHECK(down.find("passive: connection refused (") != std::string::npos);
    // The run that did it: at least fall failed connects, lasting the window give or take the
    // gap between two of them (a wait for anything slower would show here).
    static const std::regex run(R"(\((\d+) failed connects in a row over (\d+)ms\))");
    std::smatch m;
    REQUIRE(std::regex_search(down, m, run));
    CHECK(std::stoi(m[1].str()) >= 3);
    CHECK(std::stoi(m[2].str()) >= 200);
    CHECK(std::stoi(m[2].str()) < 1000);
    // lb's log line is stamped with the wall clock, as `killed_at` is: down within about the
    // window of the kill, under load (the kill itself returns once NGINX is reaped).
    const auto down_at = log_time_ms(down);
    REQUIRE(down_at.has_value());
    CHECK(*down_at - killed_at < 2000);
    CHECK(failover.find("site-a down (passive: connection refused") != std::string::npos);
    // The only errors a client saw are requests in flight while the gateway died.
    CHECK(failed_requests(traffic.attempts()) <= 2);
}

}  // namespace
}  // namespace lb::test
