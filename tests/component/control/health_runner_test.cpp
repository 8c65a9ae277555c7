// HealthRunner on a real loop with real servers: first verdicts, a dying site, passive failures,
// independence of sites, reload keeping health, and a clean stop.
#include "lb/control/health_runner.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <vector>

#include "tests/component/health/probe_test_support.h"
#include "tests/component/health/scripted_server.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Equals;
using health::Health;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

struct Event {
    std::size_t site;
    Health health;
    std::string reason;
};

config::HealthSettings fast_settings(config::CheckKind kind) {
    auto settings = health_settings(kind);
    settings.interval = 100ms;
    settings.timeout = 200ms;
    settings.rise = 2;
    settings.fall = 2;
    return settings;
}

config::Site make_site(const char* name, config::SiteRole role, std::uint16_t port,
                       config::HealthSettings settings) {
    config::Site site;
    site.name = name;
    site.address = *SocketAddress::parse_ip("127.0.0.1");
    site.role = role;
    site.health = std::move(settings);
    site.health.port = port;
    return site;
}

config::Config two_sites(std::uint16_t port_a, std::uint16_t port_b,
                         const config::HealthSettings& settings) {
    config::Config config;
    config.sites = {make_site("site-a", config::SiteRole::Primary, port_a, settings),
                    make_site("site-b", config::SiteRole::Standby, port_b, settings)};
    config::Listener listener;
    listener.name = "https";
    listener.bind = *SocketAddress::parse_endpoint("127.0.0.1:443");
    listener.target_port = 443;
    config.listeners = {listener};
    return config;
}

// Records every health change and counts checks; the runner's events.
struct Recorder final : HealthEvents {
    std::vector<Event> events;
    int checks = 0;
    std::function<void()> after_change;  // runs after each recorded change

    void on_check_completed(std::size_t, const health::CheckResult&) override { ++checks; }
    void on_health_changed(std::size_t site, const health::HealthChange& change) override {
        events.push_back({site, change.to, change.reason});
        if (after_change) after_change();
    }
};

HealthRunner::ProberFactory real_probers(uv_loop_t* loop) {
    return [loop](config::CheckKind kind) { return health::make_prober(loop, kind); };
}

TEST_CASE(
    "health runner: Unknown first, Up within rise x interval, dead site Down within "
    "fall x interval",
    "[component][control][health]") {
    TestLoop loop;
    {
        auto server_a =
            std::make_unique<ScriptedServer>(loop.get(), ServerScript{.replies = {kOk}});
        ScriptedServer server_b(loop.get(), {.replies = {kOk}});
        const auto settings = fast_settings(config::CheckKind::Http);
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, two_sites(server_a->port(), server_b.port(), settings),
                            recorder, real_probers(loop.get()));

        REQUIRE(runner.site_count() == 2);
        CHECK(runner.health(0) == Health::Unknown);
        CHECK(runner.health(1) == Health::Unknown);
        CHECK(runner.snapshot(0).health == Health::Unknown);
        CHECK(runner.name(0) == "site-a");

        // rise × interval, plus slack for the two checks' latency and a loaded machine.
        REQUIRE(loop.run_until(
            [&] { return runner.health(0) == Health::Up && runner.health(1) == Health::Up; },
            settings.rise * settings.interval + 1s));
        REQUIRE(recorder.events.size() == 2);
        for (const Event& event : recorder.events) {
            CHECK(event.health == Health::Up);
            CHECK(event.reason == "http 200");
        }
        CHECK(recorder.checks >= 4);

        server_a.reset();  // site-a dies: connects are refused from now on
        recorder.events.clear();
        REQUIRE(loop.run_until([&] { return runner.health(0) == Health::Down; },
                               settings.fall * settings.interval + settings.timeout + 1s));
        REQUIRE(recorder.events.size() == 1);
        CHECK(recorder.events[0].site == 0);
        CHECK(recorder.events[0].health == Health::Down);
        CHECK_THAT(recorder.events[0].reason, Equals("connect refused"));
        CHECK(runner.health(1) == Health::Up);

        CHECK(runner.snapshot(0).consecutive_failures >= 2);
        REQUIRE(runner.snapshot(0).last_result.has_value());
        CHECK_FALSE(runner.snapshot(0).last_result->ok);
        CHECK(runner.snapshot(0).last_result->cause == health::CheckCause::ConnectRefused);
        CHECK(runner.snapshot(1).consecutive_successes >= 2);
        CHECK_THAT(runner.target(1), Equals("http 127.0.0.1:" + std::to_string(server_b.port()) +
                                            " gateway.test/health"));
        runner.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: a site dead from the start goes Unknown -> Down",
          "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer server_b(loop.get(), {});
        std::uint16_t dead_port = 0;
        {
            ScriptedServer gone(loop.get(), {});
            dead_port = gone.port();
        }
        const auto settings = fast_settings(config::CheckKind::Tcp);
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, two_sites(dead_port, server_b.port(), settings), recorder,
                            real_probers(loop.get()));
        REQUIRE(loop.run_until([&] { return runner.health(0) == Health::Down; },
                               settings.fall * settings.interval + 1s));
        for (const Event& event : recorder.events)
            if (event.site == 0) CHECK(event.health == Health::Down);  // never Up on the way
        runner.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: passive failures bring a site down before the next check",
          "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer server_a(loop.get(), {});
        ScriptedServer server_b(loop.get(), {});
        auto settings = fast_settings(config::CheckKind::Tcp);
        settings.interval = std::chrono::hours(1);  // only the first active check ever runs
        settings.rise = 1;
        settings.fall = 3;
        settings.passive_window = 0ms;  // fall failures in a row suffice
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, two_sites(server_a.port(), server_b.port(), settings),
                            recorder, real_probers(loop.get()));
        REQUIRE(loop.run_until([&] { return runner.health(0) == Health::Up; }, 2s));
        recorder.events.clear();

        runner.record_passive_failure(0, health::CheckCause::ConnectRefused, "connect refused", 0);
        runner.record_passive_failure(0, health::CheckCause::ConnectTimeout, "connect timeout", 0);
        CHECK(recorder.events.empty());
        CHECK(runner.health(0) == Health::Up);
        runner.record_passive_failure(0, health::CheckCause::ConnectRefused,
                                      "connect refused", 0);  // fall = 3: down, synchronously
        REQUIRE(recorder.events.size() == 1);
        CHECK(recorder.events[0].site == 0);
        CHECK(recorder.events[0].health == Health::Down);
        CHECK_THAT(recorder.events[0].reason, Equals("passive: connect refused (3 failed connects in a row over 0ms)"));
        CHECK(runner.health(0) == Health::Down);
        CHECK(runner.snapshot(0).checks == 1);
        CHECK(runner.snapshot(0).passive_failures == 3);

        runner.record_passive_failure(7, health::CheckCause::ConnectRefused,
                                      "no such site", 0);  // ignored
        runner.stop();
        runner.record_passive_failure(1, health::CheckCause::ConnectRefused,
                                      "after stop", 0);  // ignored
        CHECK(recorder.events.size() == 1);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: a hanging site never delays the other", "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer silent(loop.get(), {.replies = {}, .close_after_replies = false});
        ScriptedServer healthy(loop.get(), {.replies = {kOk}});
        auto settings = fast_settings(config::CheckKind::Http);
        auto config = two_sites(silent.port(), healthy.port(), settings);
        config.sites[0].health.timeout = 5s;  // site-a's first check hangs for 5 s
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, config, recorder, real_probers(loop.get()));
        REQUIRE(loop.run_until([&] { return runner.health(1) == Health::Up; },
                               settings.rise * settings.interval + 1s));
        CHECK(runner.health(0) == Health::Unknown);
        CHECK(runner.snapshot(0).check_in_flight);
        runner.stop();  // abandons site-a's check in flight
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: reload keeps the health of surviving sites",
          "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer server_a(loop.get(), {.replies = {kOk}});
        ScriptedServer server_b(loop.get(), {.replies = {kOk}});
        ScriptedServer server_c(loop.get(), {.replies = {kOk}});
        const auto settings = fast_settings(config::CheckKind::Http);
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, two_sites(server_a.port(), server_b.port(), settings),
                            recorder, real_probers(loop.get()));
        REQUIRE(loop.run_until(
            [&] { return runner.health(0) == Health::Up && runner.health(1) == Health::Up; }, 2s));
        recorder.events.clear();

        SECTION("same sites, new settings, roles swapped: health follows the names") {
            auto next = two_sites(server_b.port(), server_a.port(), settings);
            std::swap(next.sites[0], next.sites[1]);  // site-b first now
            next.sites[0].health.port = server_b.port();
            next.sites[1].health.port = server_a.port();
            for (auto& site : next.sites) site.health.interval = 50ms;
            runner.update(next);
            CHECK(runner.name(0) == "site-b");
            CHECK(runner.health(0) == Health::Up);
            CHECK(runner.health(1) == Health::Up);
            run_for(loop.get(), 200ms);  // checks keep passing on the new schedule
            CHECK(recorder.events.empty());
        }
        SECTION("a replaced site starts Unknown, a changed target is re-checked") {
            auto next = two_sites(server_a.port(), server_c.port(), settings);
            next.sites[1].name = "site-c";
            std::uint16_t dead_port = 0;
            {
                ScriptedServer gone(loop.get(), {});
                dead_port = gone.port();
            }
            next.sites[0].health.port = dead_port;  // site-a now checks a dead port
            runner.update(next);
            CHECK(runner.health(0) == Health::Up);  // kept until the new target says otherwise
            CHECK(runner.health(1) == Health::Unknown);
            REQUIRE(loop.run_until(
                [&] { return runner.health(0) == Health::Down && runner.health(1) == Health::Up; },
                2s));
            for (const Event& event : recorder.events)
                if (event.site == 0) CHECK(event.health == Health::Down);
        }
        runner.stop();
        runner.update(two_sites(server_a.port(), server_b.port(), settings));  // ignored
        CHECK(runner.site_count() == 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: callbacks may stop the runner", "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {});
        auto settings = fast_settings(config::CheckKind::Tcp);
        settings.rise = 1;
        HealthRunner* self = nullptr;
        int changes = 0;
        Recorder recorder;
        recorder.after_change = [&] {
            ++changes;
            self->stop();
        };
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, two_sites(server.port(), server.port(), settings), recorder,
                            real_probers(loop.get()));
        self = &runner;
        REQUIRE(loop.run_until([&] { return changes > 0; }, 2s));
        run_for(loop.get(), 150ms);
        CHECK(changes == 1);
        CHECK(runner.site_count() == 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("health runner: the check port defaults to the first listener's port on the site",
          "[component][control][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {});
        auto config = two_sites(0, 0, fast_settings(config::CheckKind::Tcp));
        for (auto& site : config.sites) site.health.port.reset();
        config.listeners[0].target_port = server.port();
        config.sites[1].ports["https"] = 1;  // a per-site override applies to site-b
        Recorder recorder;
        LoopScheduler scheduler(loop.get());
        HealthRunner runner(scheduler, config, recorder, real_probers(loop.get()));
        CHECK_THAT(runner.target(0), Equals("tcp 127.0.0.1:" + std::to_string(server.port())));
        CHECK_THAT(runner.target(1), Equals("tcp 127.0.0.1:1"));
        REQUIRE(loop.run_until([&] { return runner.health(0) == Health::Up; }, 2s));
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
