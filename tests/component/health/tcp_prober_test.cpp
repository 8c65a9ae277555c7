// TCP checks on real loopback sockets: success, refusal, and a connect timeout produced by a
// listener whose accept queue is full (its SYNs are dropped; traffic stays on loopback).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/component/health/probe_test_support.h"
#include "tests/component/health/scripted_server.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Equals;

// A port nobody listens on and nobody can take while this lives: bound, never listening, so
// a connect is answered with RST.
class ClosedPort {
public:
    ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_.valid());
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        port_ = local_port(fd_.get());
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    Fd fd_;
    std::uint16_t port_ = 0;
};

TEST_CASE("tcp check: a listening port is up", "[component][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {});
        const auto result =
            run_check(loop, target_for(health_settings(config::CheckKind::Tcp), server.port()));
        CHECK(result.ok);
        CHECK_THAT(result.reason, Equals("connected"));
        CHECK(result.latency.count() >= 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("tcp check: a closed port is refused", "[component][health]") {
    TestLoop loop;
    {
        ClosedPort closed;
        const auto result =
            run_check(loop, target_for(health_settings(config::CheckKind::Tcp), closed.port()));
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("connect refused"));
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("tcp check: a dropped SYN times out", "[component][health]") {
    TestLoop loop;
    {
        Blackhole blackhole("127.0.0.1");
        REQUIRE(blackhole.full());
        auto settings = health_settings(config::CheckKind::Tcp);
        settings.timeout = 200ms;
        const auto result = run_check(loop, target_for(settings, blackhole.port()));
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, Equals("timeout after 200ms (connect)"));
        CHECK(result.latency > 100ms);  // sanity: it did wait, roughly the timeout
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("tcp check: cancel and destruction report nothing and leak nothing",
          "[component][health]") {
    TestLoop loop;
    {
        Blackhole blackhole("127.0.0.1");
        REQUIRE(blackhole.full());
        const auto target = target_for(health_settings(config::CheckKind::Tcp), blackhole.port());
        int calls = 0;
        auto cancelled = health::make_prober(loop.get(), config::CheckKind::Tcp);
        cancelled->start(target, [&](health::CheckResult) { ++calls; });
        auto destroyed = health::make_prober(loop.get(), config::CheckKind::Tcp);
        destroyed->start(target, [&](health::CheckResult) { ++calls; });
        run_for(loop.get(), 20ms);
        cancelled->cancel();
        cancelled->cancel();  // idempotent
        destroyed.reset();
        run_for(loop.get(), 50ms);
        CHECK(calls == 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("tcp check: the callback may start the next check", "[component][health]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {});
        const auto target = target_for(health_settings(config::CheckKind::Tcp), server.port());
        auto prober = health::make_prober(loop.get(), config::CheckKind::Tcp);
        int done = 0;
        std::function<void(health::CheckResult)> again = [&](health::CheckResult result) {
            CHECK(result.ok);
            if (++done < 3) prober->start(target, again);
        };
        prober->start(target, again);
        REQUIRE(loop.run_until([&] { return done == 3; }, 5s));
        CHECK(server.connections() == 3);
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
