// HAProxy's two CLI modes on a real Unix socket. Non-interactive (the default): what was
// received is answered, then the server closes, whether or not the client shut its side.
// Interactive (`prompt`): "> " after each reply, the connection kept until `quit`, `prompt`
// again, or the idle timeout (`set timeout cli`). Waits are conditions with deadlines; the
// idle timeout is checked from both sides (not closed too early, closed in time).
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/component/admin/admin_fixture.h"

namespace lb::admin::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs the loop until `client` has received `bytes` exactly (then true), or something else, or
// the deadline passed (then false, with what arrived in the test's output).
bool receive_exactly(AdminFixture& f, AdminClient& client, std::string_view bytes) {
    f.run_until([&] {
        client.pump();
        return client.unread().size() >= bytes.size() || client.peer_closed();
    });
    INFO("expected: '" << bytes << "'\nreceived: '" << client.unread() << "'");
    CHECK(client.unread() == bytes);
    return client.unread() == bytes;
}

// Drops what `client` has received so far.
void forget(AdminClient& client) {
    while (client.take_reply()) {
    }
}

TEST_CASE("non-interactive: a client that keeps its side open gets the reply, then EOF",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show info\n"));  // no shutdown(SHUT_WR), as a script may do
    CHECK(f.reply(client).starts_with("Name: sitelb\n"));
    CHECK(f.closed_by_server(client));
    CHECK(client.unread().empty());
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
}

TEST_CASE("non-interactive: lines received together are all answered, then EOF",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show version\nunpin\n"));
    CHECK(f.reply(client) == "0.1.0\n");
    CHECK(f.reply(client) == "unpinned\n");
    CHECK(f.closed_by_server(client));
    CHECK(client.unread().empty());
}

TEST_CASE("non-interactive: a line sent after the reply arrived is not answered",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show version\n"));
    CHECK(f.reply(client) == "0.1.0\n");
    (void)client.send_some("unpin\n");  // may already fail: the server is closing
    CHECK(f.closed_by_server(client));
    CHECK(client.unread().empty());
    CHECK_FALSE(f.controller.called("unpin"));
}

TEST_CASE("non-interactive: a line still arriving is waited for", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show ver"));
    CHECK_FALSE(f.closed_by_server(client, 200ms));
    REQUIRE(f.send_all(client, "sion\n"));
    CHECK(f.reply(client) == "0.1.0\n");
    CHECK(f.closed_by_server(client));
}

TEST_CASE("semicolons chain commands: one framed reply each, in order", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show backend;show version\n"));
    CHECK(f.closed_by_server(client));
    CHECK(client.unread() == "# name\nhttps\nssh\n\n0.1.0\n\n");

    // An empty part is an empty command (HAProxy's command list); "\;" does not split.
    f.controller.calls.clear();
    AdminClient escaped(f.path);
    REQUIRE(f.send_all(escaped, "pin a\\;b;;unpin\n"));
    CHECK(f.reply(escaped) == "error: unknown site 'a;b'\n");
    CHECK(f.reply(escaped).starts_with("Unknown command. Please enter one of the following"));
    CHECK(f.reply(escaped) == "unpinned\n");
    CHECK(f.closed_by_server(escaped));
    CHECK(escaped.unread().empty());
    CHECK(f.controller.calls == std::vector<std::string>{"pin a;b keep", "unpin"});
}

TEST_CASE("a slow reply in a semicolon chain keeps the order and the connection", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_sessions = true;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show sessions;show version\n"));
    REQUIRE(f.run_until([&] { return f.controller.pending_sessions.size() == 1; }));
    CHECK_FALSE(f.closed_by_server(client, 100ms));
    CHECK(client.unread().empty());
    f.controller.pending_sessions[0]({});
    CHECK(f.reply(client) == "no open sessions\n");
    CHECK(f.reply(client) == "0.1.0\n");
    CHECK(f.closed_by_server(client));
}

TEST_CASE("prompt: \"> \" after each reply, the connection kept until prompt again",
          "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "prompt\n"));
    REQUIRE(receive_exactly(f, client, "\n> "));
    REQUIRE(client.take_prompt_reply());  // from here on, take_reply() expects the prompts

    REQUIRE(f.send_all(client, "show version\n"));
    CHECK(receive_exactly(f, client, "0.1.0\n\n> "));
    CHECK(f.reply(client) == "0.1.0\n");

    CHECK_FALSE(f.closed_by_server(client, 300ms));  // a pause: still open
    REQUIRE(f.send_all(client, "unpin\n"));
    CHECK(f.reply(client) == "unpinned\n");
    REQUIRE(f.send_all(client, "frobnicate\n"));  // an error does not end interactive mode
    CHECK(f.reply(client).starts_with("Unknown command, but maybe"));
    REQUIRE(f.send_all(client, "show backend;show version\n"));
    CHECK(receive_exactly(f, client, "# name\nhttps\nssh\n\n> 0.1.0\n\n> "));
    forget(client);

    // `prompt` again: back to non-interactive, its reply has no prompt, and it was the last.
    REQUIRE(f.send_all(client, "prompt\n"));
    CHECK(f.closed_by_server(client));
    CHECK(client.unread() == "\n");
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
}

TEST_CASE("prompt: quit closes at once, later lines are not run", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "unpin") == "unpinned\n");
    REQUIRE(f.send_all(client, "quit\nfailback\n"));
    CHECK(f.closed_by_server(client));
    CHECK(client.unread().empty());
    CHECK(f.controller.calls == std::vector<std::string>{"unpin"});
}

TEST_CASE("prompt: set timeout cli 1 closes the idle connection after about a second",
          "[component][admin][slow]") {
    AdminFixture f;
    AdminClient quick(f.path);
    f.prompt(quick);
    AdminClient patient(f.path);  // the default timeout (60 s): still open afterwards
    f.prompt(patient);
    CHECK(f.ask(patient, "show version") == "0.1.0\n");

    CHECK(f.ask(quick, "set timeout cli 1") == "");  // HAProxy's silent success
    const auto idle_since = Clock::now();
    // Not before the timeout...
    CHECK_FALSE(f.closed_by_server(quick, 800ms));
    // ...but soon after it: the sweep runs once a second.
    CHECK(f.closed_by_server(quick, 4s));
    const auto idle = Clock::now() - idle_since;
    CHECK(idle >= 900ms);
    CHECK(idle < 3s);
    CHECK(quick.unread().empty());  // closed without a word

    CHECK_FALSE(patient.peer_closed());
    CHECK(f.ask(patient, "unpin") == "unpinned\n");
    CHECK(f.server->connection_count() == 1);
}

TEST_CASE("prompt: activity resets the idle timeout", "[component][admin][slow]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);
    CHECK(f.ask(client, "set timeout cli 1500ms") == "");
    // Asking every 500 ms for 2 s keeps it open past its timeout.
    for (int i = 0; i < 4; ++i) {
        CHECK_FALSE(f.closed_by_server(client, 500ms));
        CHECK(f.ask(client, "show version") == "0.1.0\n");
    }
    CHECK(f.closed_by_server(client, 4s));
}

TEST_CASE("a client that says nothing is closed after AdminLimits::idle_timeout",
          "[component][admin][slow]") {
    AdminLimits limits;
    limits.idle_timeout = 1s;
    AdminFixture f(limits);
    AdminClient silent(f.path);
    REQUIRE(f.run_until([&] { return f.server->connection_count() == 1; }));
    CHECK_FALSE(f.closed_by_server(silent, 800ms));
    CHECK(f.closed_by_server(silent, 4s));
    CHECK(silent.unread().empty());
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
}

TEST_CASE("an answer still due is not cut by the idle timeout", "[component][admin][slow]") {
    AdminLimits limits;
    limits.idle_timeout = 1s;
    AdminFixture f(limits);
    f.controller.defer_reload = true;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "reload\n"));
    REQUIRE(f.run_until([&] { return f.controller.pending_reloads.size() == 1; }));
    CHECK_FALSE(f.closed_by_server(client, 2500ms));  // waiting for lb, not idle
    f.controller.pending_reloads[0]({true, "configuration reloaded"});
    CHECK(f.reply(client) == "configuration reloaded\n");
    CHECK(f.closed_by_server(client));
}

}  // namespace
}  // namespace lb::admin::test
