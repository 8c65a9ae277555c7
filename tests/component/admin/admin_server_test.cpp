// The admin socket's contract on a real Unix socket: the file (mode, stale, live, not a socket),
// the line protocol (order, blank, over-long, binary, CRLF, FIN) and bounded, crash-free
// behaviour when clients vanish or never read. Tests that talk on one connection across pauses
// use interactive mode (`prompt`); the non-interactive close has its own tests
// (admin_modes_test.cpp).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/component/admin/admin_fixture.h"

namespace lb::admin::test {
namespace {

unsigned file_mode(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    REQUIRE(S_ISSOCK(st.st_mode));
    return st.st_mode & 0777;
}

// A socket file nobody listens on, as a crashed instance leaves behind.
void leave_stale_socket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
}

TEST_CASE("the socket gets the permission bits asked for", "[component][admin]") {
    {
        AdminFixture f;
        CHECK(file_mode(f.path) == 0660);
    }
    AdminFixture f({}, 0600);
    CHECK(file_mode(f.path) == 0600);
    AdminClient client(f.path);
    CHECK(f.ask(client, "help").starts_with("The following commands are valid at this level:\n"));
}

TEST_CASE("a stale socket file is replaced, stop() removes ours", "[component][admin]") {
    AdminFixture f;
    f.server->stop();
    REQUIRE_FALSE(std::filesystem::exists(f.path));
    leave_stale_socket(f.path);
    REQUIRE(std::filesystem::exists(f.path));

    AdminServer again(f.loop(), f.commands);
    const auto started = again.start(f.path, 0660);
    INFO((started.ok() ? "" : started.error()));
    REQUIRE(started.ok());
    AdminClient client(f.path);
    REQUIRE(client.connected());
    f.prompt(client);  // stays open: stop() must close it
    CHECK(f.ask(client, "unpin") == "unpinned\n");
    again.stop();
    CHECK_FALSE(std::filesystem::exists(f.path));
    CHECK(f.run_until([&] {
        client.pump();
        return client.peer_closed();
    }));
}

TEST_CASE("a live socket of another instance is not stolen", "[component][admin]") {
    AdminFixture f;
    {
        AdminServer intruder(f.loop(), f.commands);
        const auto started = intruder.start(f.path, 0600);
        REQUIRE_FALSE(started.ok());
        CHECK(started.error() ==
              "admin socket " + f.path + " is in use by another running instance");
    }  // its destructor must not remove the file either
    CHECK(file_mode(f.path) == 0660);
    AdminClient client(f.path);
    CHECK(f.ask(client, "unpin") == "unpinned\n");
}

TEST_CASE("a file that is not a socket is refused and left alone", "[component][admin]") {
    AdminFixture f;
    const std::string other = (f.dir.path() / "precious.txt").string();
    std::ofstream(other) << "keep me\n";
    AdminServer server(f.loop(), f.commands);
    const auto started = server.start(other, 0660);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error() ==
          "admin socket path " + other + " exists and is not a socket; " + "not removing it");
    std::ifstream in(other);
    std::string content;
    std::getline(in, content);
    CHECK(content == "keep me");

    const std::string nowhere = (f.dir.path() / "missing" / "admin.sock").string();
    const auto no_dir = server.start(nowhere, 0660);
    REQUIRE_FALSE(no_dir.ok());
    CHECK(no_dir.error() ==
          "cannot create admin socket " + nowhere + ": its directory does not exist");
}

TEST_CASE("several commands on one connection are answered in order", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "unpin\nfoo\r\n\npin site-b --kill\nshow listeners\n"));
    CHECK(f.reply(client) == "unpinned\n");
    // HAProxy's answers to an unknown and to an empty command: the command lists.
    CHECK(f.reply(client).starts_with(
        "Unknown command, but maybe one of the following ones is a better match:\n"));
    CHECK(f.reply(client).starts_with(
        "Unknown command. Please enter one of the following commands only:\n"));
    CHECK(f.reply(client) == "pinned site-b\n");
    CHECK(f.reply(client).starts_with("NAME   BIND"));
    CHECK(f.controller.called("pin site-b kill"));
    // Non-interactive: every line received was answered, so the server closes.
    CHECK(f.closed_by_server(client));
    CHECK(client.unread().empty());
}

TEST_CASE("a slow reply is not overtaken by the next command's", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_sessions = true;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "show sessions\nshow status\n"));
    // Once the second command ran, its reply could have gone out: it must wait.
    REQUIRE(f.run_until([&] { return f.controller.called("status"); }));
    client.pump();
    CHECK(client.unread().empty());
    REQUIRE(f.controller.pending_sessions.size() == 1);
    f.controller.pending_sessions[0]({});
    CHECK(f.reply(client) == "no open sessions\n");
    CHECK(f.reply(client).starts_with("version:"));
}

TEST_CASE("an over-long line is refused without buffering it", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);  // the same connection goes on after each refusal
    const std::string mib(std::size_t{1} << 20, 'x');
    REQUIRE(f.send_all(client, mib));
    CHECK(f.reply(client) == "error: line too long (over 4096 bytes); ignored\n");
    REQUIRE(f.send_all(client, mib + "\nunpin\n"));  // still the same line, then a command
    CHECK(f.reply(client) == "unpinned\n");
    REQUIRE(f.send_all(client, std::string(4097, 'y') + "\r\nunpin\r\n"));
    CHECK(f.reply(client).starts_with("error: line too long"));
    CHECK(f.reply(client) == "unpinned\n");
}

TEST_CASE("binary garbage gets an error and the connection stays", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);  // in interactive mode: non-interactive would close after any reply
    // A TLS ClientHello start, NUL bytes included.
    REQUIRE(f.send_all(client, std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n", 12)));
    CHECK(f.reply(client) ==
          "error: binary data in command; commands are one line of ASCII text\n");
    CHECK(f.ask(client, "unpin") == "unpinned\n");
}

TEST_CASE("socat style: FIN after the commands still gets every reply", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_reload = true;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "reload\nshow info"));  // the last line without its newline
    client.shutdown_write();
    REQUIRE(f.run_until([&] { return f.controller.pending_reloads.size() == 1; }));
    f.controller.pending_reloads[0]({true, "configuration reloaded"});
    CHECK(f.reply(client) == "configuration reloaded\n");
    CHECK(f.reply(client).starts_with("Name: sitelb\n"));
    CHECK(f.run_until([&] {
        client.pump();
        return client.peer_closed();
    }));
    CHECK(client.unread().empty());
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
}

TEST_CASE("quit closes after the earlier replies", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    REQUIRE(f.send_all(client, "unpin\nquit\nunpin\n"));
    CHECK(f.reply(client) == "unpinned\n");
    CHECK(f.run_until([&] {
        client.pump();
        return client.peer_closed();
    }));
    CHECK(client.unread().empty());
    CHECK(f.controller.calls == std::vector<std::string>{"unpin"});
}

TEST_CASE("a client gone before its async reply is harmless", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_sessions = true;
    f.controller.defer_reload = true;
    {
        AdminClient client(f.path);
        REQUIRE(f.send_all(client, "show sessions json\nreload\n"));
        REQUIRE(f.run_until([&] { return f.controller.pending_reloads.size() == 1; }));
    }  // closed: to the server this is EOF, like socat's FIN, so the slots wait for answers
    f.controller.pending_sessions.at(0)({});  // its write fails: the connection goes
    REQUIRE(f.run_until([&] { return f.server->connection_count() == 0; }));
    f.controller.pending_reloads.at(0)({true, "late"});  // to nobody: dropped

    // stop() with an answer still due: the answer is dropped.
    f.controller.pending_sessions.clear();
    AdminClient other(f.path);
    REQUIRE(f.send_all(other, "show sessions\n"));
    REQUIRE(f.run_until([&] { return f.controller.pending_sessions.size() == 1; }));
    f.server->stop();
    CHECK(f.run_until([&] {
        other.pump();
        return other.peer_closed() && f.server->connection_count() == 0;
    }));
    f.controller.pending_sessions[0]({});
    CHECK(other.unread().empty());
}

TEST_CASE("a client that disconnects mid-reply is harmless", "[component][admin]") {
    AdminLimits limits;
    limits.max_output_bytes = std::size_t{64} << 20;  // not the output cap: the client leaves
    AdminFixture f(limits);
    AdminClient client(f.path);
    std::string many;
    for (int i = 0; i < 500; ++i) many += "show stat\n";
    REQUIRE(f.send_all(client, many));
    REQUIRE(f.run_until([&] { return f.controller.calls.size() > 100; }));
    client.close(/*reset=*/true);
    CHECK(f.run_until([&] { return f.server->connection_count() == 0; }));
    AdminClient next(f.path);
    CHECK(f.ask(next, "unpin") == "unpinned\n");
}

TEST_CASE("a client that never reads is cut off at the output cap", "[component][admin]") {
    AdminLimits limits;
    limits.max_output_bytes = 64 * 1024;
    AdminFixture f(limits);
    AdminClient hog(f.path);
    f.prompt(hog);  // interactive: only the output cap may close it, not the replies' end
    AdminClient polite(f.path);
    const std::string burst = [] {
        std::string s;
        for (int i = 0; i < 50; ++i) s += "show stat\n";
        return s;
    }();
    REQUIRE(f.run_until([&] { return f.server->connection_count() == 2; }));
    // Keep asking, never read: the server must close this connection rather than queue forever.
    const bool cut = f.run_until(
        [&] {
            if (hog.send_some(burst) < 0) return true;  // EPIPE: already closed
            return f.server->connection_count() == 1;
        },
        std::chrono::seconds(20));
    CHECK(cut);
    CHECK(f.run_until([&] { return f.server->connection_count() == 1; }));
    CHECK(f.ask(polite, "unpin") == "unpinned\n");
}

TEST_CASE("connections beyond the limit are told so and closed", "[component][admin]") {
    AdminLimits limits;
    limits.max_connections = 2;
    AdminFixture f(limits);
    AdminClient one(f.path), two(f.path);
    REQUIRE(f.run_until([&] { return f.server->connection_count() == 2; }));
    AdminClient three(f.path);
    CHECK(f.reply(three) == "error: too many admin connections (at most 2)\n");
    CHECK(f.run_until([&] {
        three.pump();
        return three.peer_closed();
    }));
    CHECK(f.ask(one, "unpin") == "unpinned\n");
    CHECK(f.ask(two, "unpin") == "unpinned\n");
}

TEST_CASE("stop() closes every connection and removes the socket", "[component][admin]") {
    AdminFixture f;
    AdminClient client(f.path);
    f.prompt(client);  // stays open: stop() must close it
    CHECK(f.ask(client, "unpin") == "unpinned\n");
    f.server->stop();
    CHECK_FALSE(f.server->listening());
    CHECK_FALSE(std::filesystem::exists(f.path));
    CHECK(f.run_until([&] {
        client.pump();
        return client.peer_closed();
    }));
    AdminClient late(f.path);
    CHECK_FALSE(late.connected());
}

}  // namespace
}  // namespace lb::admin::test
