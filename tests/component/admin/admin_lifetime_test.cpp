// Connection lifetime (STYLE §3.3): the server's table owns each connection until its pipe's close
// callback, so stopping or destroying the server with replies half written, answers still due
// and lines half received frees everything: the loop closes with 0 (the fixture checks it) and,
// under ASan, nothing leaks and nothing is used after it is freed.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/component/admin/admin_fixture.h"

namespace lb::admin::test {
namespace {

constexpr std::size_t kCommands = 2000;

AdminLimits roomy() {
    AdminLimits limits;
    limits.max_output_bytes = std::size_t{256} << 20;  // not the output cap: the test stops it
    return limits;
}

// Makes `client` ask for far more than the socket buffers hold and read nothing, so the server
// has writes in flight when this returns.
void stall_with_replies(AdminFixture& f, AdminClient& client) {
    AdminClient sizer(f.path);
    const std::size_t one = f.ask(sizer, "show stat").size() + 1;
    REQUIRE(one * kCommands > std::size_t{4} << 20);  // a Unix socket buffers some 200 KiB

    const std::size_t before = f.controller.calls.size();
    std::string many;
    for (std::size_t i = 0; i < kCommands; ++i) many += "show stat\n";
    REQUIRE(f.send_all(client, many));
    REQUIRE(f.run_until([&] { return f.controller.calls.size() >= before + kCommands; }));
}

TEST_CASE("admin: stop() with replies half written to a client that does not read frees it",
          "[component][admin][lifetime]") {
    AdminFixture f(roomy());
    AdminClient hog(f.path);
    stall_with_replies(f, hog);
    REQUIRE(f.run_until([&] { return f.server->connection_count() == 1; }));

    f.server->stop();
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
    CHECK(f.run_until([&] {
        hog.pump();
        return hog.peer_closed();
    }));
}

TEST_CASE(
    "admin: destroying the server mid-request frees every connection, late answers go "
    "nowhere",
    "[component][admin][lifetime]") {
    AdminFixture f(roomy());
    f.controller.defer_sessions = true;
    f.controller.defer_reload = true;
    AdminClient hog(f.path);
    stall_with_replies(f, hog);
    AdminClient waiting(f.path);
    REQUIRE(f.send_all(waiting, "show sessions\nreload\n"));
    AdminClient partial(f.path);
    REQUIRE(f.send_all(partial, "show st"));
    AdminClient idle(f.path);
    REQUIRE(f.run_until([&] {
        return f.controller.pending_reloads.size() == 1 && f.server->connection_count() == 4;
    }));

    f.server.reset();
    // The connection is still closing: its answer is dropped.
    f.controller.pending_sessions.at(0)({});
    REQUIRE(f.run_until([&] { return uv_loop_alive(f.loop()) == 0; }));
    // Everything is freed, the table too: this answer finds nobody.
    f.controller.pending_reloads.at(0)({true, "late"});

    for (AdminClient* client : {&hog, &waiting, &partial, &idle}) {
        CHECK(f.run_until([&] {
            client->pump();
            return client->peer_closed();
        }));
    }
    waiting.pump();
    CHECK(waiting.unread().empty());
}

TEST_CASE("admin: many connections opening and closing leave the table empty",
          "[component][admin][lifetime]") {
    AdminLimits limits;
    limits.max_connections = 8;
    AdminFixture f(limits);
    for (int round = 0; round < 10; ++round) {
        std::vector<std::unique_ptr<AdminClient>> clients;
        for (int i = 0; i < 12; ++i)  // over the cap: some are told so and closed
            clients.push_back(std::make_unique<AdminClient>(f.path));
        for (std::size_t i = 0; i < clients.size(); ++i) {
            AdminClient& client = *clients[i];
            REQUIRE(client.connected());
            switch (i % 4) {
                case 0:  // commands, then leave without reading the replies
                    (void)client.send_some("show stat\nshow info\n");
                    break;
                case 1:  // half a line, then a reset
                    (void)client.send_some("show st");
                    client.close(/*reset=*/true);
                    break;
                case 2:  // socat style: commands and FIN, then leave before the replies
                    (void)client.send_some("unpin\nshow sessions");
                    client.shutdown_write();
                    break;
                default:  // nothing at all
                    break;
            }
        }
        clients.clear();
        REQUIRE(f.run_until([&] { return f.server->connection_count() == 0; }));
    }
    AdminClient last(f.path);
    CHECK(f.ask(last, "unpin") == "unpinned\n");
}

}  // namespace
}  // namespace lb::admin::test
