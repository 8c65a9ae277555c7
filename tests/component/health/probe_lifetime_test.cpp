// Probe lifetime (STYLE §3.3): a prober's ProbeTable owns its probes until their last close
// callback, so a prober destroyed (reload, stop) or restarted with a check in flight still frees
// every probe: counted here by the probes' own destructors, and the loop closes with 0.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "health/probe.h"
#include "tests/component/health/probe_test_support.h"
#include "tests/component/health/scripted_server.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

// Sends a request head, then waits for any reply: with a server that never answers, the check
// stays in flight (socket open, timer armed) until the test ends it.
class TrackedProbe final : public health::Probe {
public:
    TrackedProbe(uv_loop_t* loop, health::CheckTarget target, int& alive)
        : Probe(loop, std::move(target)), alive_(alive) {
        ++alive_;
    }
    ~TrackedProbe() override { --alive_; }

private:
    void on_connected() override {
        send("GET / HTTP/1.1\r\n\r\n");
        start_reading();
    }
    void on_data(std::string_view) override { succeed("replied"); }

    int& alive_;
};

health::CheckTarget slow_target(std::uint16_t port) {
    auto settings = health_settings(config::CheckKind::Http);
    settings.timeout = 10s;  // the test ends the check, never the deadline
    return target_for(settings, port);
}

TEST_CASE("probe: a prober destroyed with a check in flight frees its probe",
          "[component][health][lifetime]") {
    TestLoop loop;
    {
        ScriptedServer silent(loop.get(), {.replies = {}, .close_after_replies = false});
        int alive = 0;
        int calls = 0;
        auto slot = std::make_unique<health::ProbeSlot>();
        slot->start(std::make_unique<TrackedProbe>(loop.get(), slow_target(silent.port()), alive),
                    [&](health::CheckResult) { ++calls; });
        REQUIRE(loop.run_until([&] { return !silent.last_request().empty(); }, 5s));
        CHECK(slot->probes() == 1);

        slot.reset();
        CHECK(alive == 1);  // its handles are closing: freed by their close callbacks, not here
        CHECK(loop.run_until([&] { return alive == 0; }, 5s));
        CHECK(calls == 0);
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("probe: restarted checks leave the table once their handles are closed",
          "[component][health][lifetime]") {
    TestLoop loop;
    {
        ScriptedServer silent(loop.get(), {.replies = {}, .close_after_replies = false});
        ScriptedServer answering(loop.get(), {.replies = {"HTTP/1.1 200 OK\r\n\r\n"}});
        int alive = 0;
        int calls = 0;
        std::optional<health::CheckResult> last;
        health::ProbeSlot slot;
        for (int i = 0; i < 20; ++i) {  // each start cancels the check before it
            slot.start(
                std::make_unique<TrackedProbe>(loop.get(), slow_target(silent.port()), alive),
                [&](health::CheckResult) { ++calls; });
            run_for(loop.get(), 1ms);
        }
        slot.start(std::make_unique<TrackedProbe>(loop.get(), slow_target(answering.port()), alive),
                   [&](health::CheckResult result) {
                       ++calls;
                       last = std::move(result);
                   });
        CHECK(slot.probes() >= 1);
        REQUIRE(loop.run_until([&] { return last.has_value(); }, 5s));
        CHECK(last->ok);
        CHECK(calls == 1);
        CHECK(loop.run_until([&] { return alive == 0 && slot.probes() == 0; }, 5s));
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("probe: a callback may destroy its prober, and a replaced prober frees its check",
          "[component][health][lifetime]") {
    TestLoop loop;
    {
        ScriptedServer server(loop.get(), {});
        ScriptedServer silent(loop.get(), {.replies = {}, .close_after_replies = false});
        const auto tcp = target_for(health_settings(config::CheckKind::Tcp), server.port());

        auto prober = health::make_prober(loop.get(), config::CheckKind::Tcp);
        bool done = false;
        prober->start(tcp, [&](health::CheckResult result) {
            CHECK(result.ok);
            prober.reset();  // as HealthRunner::stop() may, from inside the callback
            done = true;
        });
        REQUIRE(loop.run_until([&] { return done; }, 5s));
        CHECK(prober == nullptr);

        // A reload replaces the prober while its HTTP check waits for a reply.
        int calls = 0;
        prober = health::make_prober(loop.get(), config::CheckKind::Http);
        prober->start(slow_target(silent.port()), [&](health::CheckResult) { ++calls; });
        REQUIRE(loop.run_until([&] { return !silent.last_request().empty(); }, 5s));
        prober = health::make_prober(loop.get(), config::CheckKind::Http);
        prober.reset();
        run_for(loop.get(), 20ms);
        CHECK(calls == 0);
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
