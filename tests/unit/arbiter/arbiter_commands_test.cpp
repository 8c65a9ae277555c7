// The arbiter's admin commands, run on a fixed snapshot: `show arbiter` in text and JSON, the
// session commands the connection acts on, HAProxy's answers to anything else.
#include "lb/arbiter/arbiter_commands.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/json_reader.h"

namespace lb::arbiter {
namespace {

using namespace std::chrono_literals;

ArbiterStatus snapshot() {
    ArbiterStatus s;
    s.bind = "10.0.0.50:5406";
    s.lease = 300ms;
    s.holder = "lb1";
    s.remaining = 180ms;
    s.newest = peer::AdvertPolicy{"site-b", true, 7};
    MemberStatus lb1;
    lb1.id = "lb1";
    lb1.requests = 40;
    lb1.last_heard_ms = 95;
    lb1.last_address = "10.0.0.1:5405";
    lb1.last_verdict = "granted";
    MemberStatus lb2;
    lb2.id = "lb2";
    s.members = {lb1, lb2};
    s.requests = 40;
    s.granted = 40;
    s.holder_changes = 1;
    s.rejected = {{"bad_signature", 2}};
    return s;
}

std::string run(ArbiterCommands& commands, std::string_view line) {
    const admin::PreparedCommand prepared = commands.prepare(line);
    REQUIRE(prepared.run);
    std::string body;
    int calls = 0;
    prepared.run([&](std::string reply) {
        body = std::move(reply);
        ++calls;
    });
    CHECK(calls == 1);
    return body;
}

TEST_CASE("show arbiter: the holder, the decision and each member as last heard", "[arbiter]") {
    ArbiterCommands commands(snapshot);
    const std::string text = run(commands, "show arbiter");
    CHECK(text ==
          "bind:            10.0.0.50:5406\n"
          "lease:           300ms\n"
          "holder:          lb1, 180ms left\n"
          "decision:        site-b (pinned), epoch 7\n"
          "member lb1:      last heard 95ms ago from 10.0.0.1:5405, granted; 40 requests\n"
          "member lb2:      never heard\n"
          "requests:        40 admitted: 40 granted, 0 refused, 0 released\n"
          "holder changes:  1\n"
          "rejected:        bad_signature 2\n");

    const auto parsed = test::json::parse(run(commands, "show arbiter json"));
    REQUIRE(parsed.value);
    const auto& v = *parsed.value;
    CHECK(v["holder"].string() == "lb1");
    CHECK(v["remaining_ms"].number() == 180);
    CHECK(v["decision"]["pinned"].boolean());
    CHECK(v["members"][0]["last_heard_ms"].number() == 95);
    CHECK(v["members"][1]["last_heard_ms"].is_null());
    CHECK(v["rejected"]["bad_signature"].number() == 2);
}

TEST_CASE("show arbiter just after a start says when it grants again", "[arbiter]") {
    ArbiterCommands commands([] {
        ArbiterStatus s = snapshot();
        s.holder.reset();
        s.remaining = 0ms;
        s.newest.reset();
        s.hold_off_remaining = 250ms;
        return s;
    });
    const std::string text = run(commands, "show arbiter");
    CHECK(text.find("holder:          nobody\n") != std::string::npos);
    CHECK(text.find("granting:        not before 250ms") != std::string::npos);
    CHECK(text.find("decision:        none reported yet\n") != std::string::npos);
    const auto parsed = test::json::parse(run(commands, "show arbiter json"));
    REQUIRE(parsed.value);
    CHECK((*parsed.value)["holder"].is_null());
    CHECK((*parsed.value)["decision"].is_null());
    CHECK((*parsed.value)["hold_off_remaining_ms"].number() == 250);
}

TEST_CASE("the arbiter's socket keeps HAProxy's session commands", "[arbiter]") {
    ArbiterCommands commands(snapshot);
    const admin::PreparedCommand quit = commands.prepare("quit");
    CHECK(quit.session == admin::SessionEffect::Quit);
    CHECK_FALSE(quit.run);
    CHECK(commands.prepare("prompt").session == admin::SessionEffect::TogglePrompt);
    const admin::PreparedCommand timeout = commands.prepare("set timeout cli 5");
    CHECK(timeout.session == admin::SessionEffect::SetIdleTimeout);
    CHECK(timeout.idle_timeout == 5000ms);
    CHECK(run(commands, "set timeout cli never") == "Invalid timeout value.\n");
}

TEST_CASE("anything else gets HAProxy's answer with the arbiter's own commands", "[arbiter]") {
    ArbiterCommands commands(snapshot);
    const std::string help = run(commands, "help");
    CHECK(help.starts_with("The following commands are valid at this level:\n"));
    CHECK(help.find("  show arbiter [json]") != std::string::npos);
    CHECK(help.find("show stat") == std::string::npos);  // lb run's, not the arbiter's
    const std::string unknown = run(commands, "pin site-a");
    CHECK(unknown.starts_with("Unknown command, but maybe one of the following ones"));
    CHECK(unknown.find("pin") == std::string::npos);
    CHECK(run(commands, "").starts_with("Unknown command. Please enter one of the following"));
    CHECK(run(commands, "show arbiter yaml") == "error: usage: show arbiter [json]\n");
    CHECK(run(commands, "show arbiter\r").starts_with("bind:"));
}

}  // namespace
}  // namespace lb::arbiter
