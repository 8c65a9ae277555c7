// `lb ctl` against the in-process admin socket. run_ctl blocks, so it runs on a helper thread
// while this thread runs the server's loop until the client is done (with a deadline).
#include "lb/admin/ctl_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <future>
#include <sstream>

#include "tests/component/admin/admin_fixture.h"

namespace lb::admin::test {
namespace {

using namespace std::chrono_literals;

struct CtlRun {
    int status = -1;
    std::string out;
    std::string err;
};

CtlRun ctl(AdminFixture& f, const std::string& path, std::vector<std::string> words,
           std::chrono::milliseconds timeout = 5s) {
    auto done = std::async(std::launch::async, [=] {
        CtlRun run;
        std::ostringstream out, err;
        run.status = run_ctl(path, words, out, err, timeout);
        run.out = out.str();
        run.err = err.str();
        return run;
    });
    const bool finished =
        f.run_until([&] { return done.wait_for(0s) == std::future_status::ready; }, 20s);
    REQUIRE(finished);
    return done.get();
}

TEST_CASE("lb ctl prints the reply and exits 0, or 1 on an error reply", "[component][admin]") {
    AdminFixture f;
    const CtlRun pin = ctl(f, f.path, {"pin", "site-b", "--kill"});
    CHECK(pin.status == 0);
    CHECK(pin.out == "pinned site-b\n");
    CHECK(pin.err.empty());
    CHECK(f.controller.called("pin site-b kill"));

    const CtlRun stat = ctl(f, f.path, {"show", "stat"});
    CHECK(stat.status == 0);
    CHECK(stat.out.starts_with("# pxname,svname,"));
    CHECK_FALSE(stat.out.ends_with("\n\n"));  // the terminator is not printed

    const CtlRun set = ctl(f, f.path, {"disable", "server", "https/site-a"});
    CHECK(set.status == 0);
    CHECK(set.out.empty());

    const CtlRun unknown = ctl(f, f.path, {"frobnicate"});
    CHECK(unknown.status == 1);
    CHECK(unknown.out.starts_with(
        "Unknown command, but maybe one of the following ones is a better match:\n"));
    CHECK_FALSE(unknown.out.ends_with("\n\n"));

    const CtlRun refused = ctl(f, f.path, {"pin", "nowhere"});
    CHECK(refused.status == 1);

    const CtlRun haproxy = ctl(f, f.path, {"set", "server", "nope/site-a", "state", "ready"});
    CHECK(haproxy.status == 1);
    CHECK(haproxy.out == "No such backend.\n");
}

TEST_CASE("lb ctl prints every reply of a semicolon-chained line, an empty line between",
          "[component][admin]") {
    AdminFixture f;
    const CtlRun two = ctl(f, f.path, {"show", "backend;show", "version"});
    INFO("stderr: " << two.err);
    CHECK(two.status == 0);
    CHECK(two.out == "# name\nhttps\nssh\n\n0.1.0\n");
    CHECK(two.err.empty());

    // An empty reply (HAProxy's silent success) still counts as one.
    const CtlRun silent = ctl(f, f.path, {"disable server https/site-b;get weight https/site-b"});
    CHECK(silent.status == 0);
    CHECK(silent.out == "\n1 (initial 1)\n");
    CHECK(f.controller.called("set_site_state site-b maint"));

    // One error among the replies makes the exit status 1; every reply is still printed.
    const CtlRun mixed = ctl(f, f.path, {"show version;pin nowhere;unpin"});
    CHECK(mixed.status == 1);
    CHECK(mixed.out == "0.1.0\n\nerror: unknown site 'nowhere'\n\nunpinned\n");

    // An escaped ';' is part of the command, not a separator.
    const CtlRun escaped = ctl(f, f.path, {"pin", "a\\;b"});
    CHECK(escaped.status == 1);
    CHECK(escaped.out == "error: unknown site 'a;b'\n");
    CHECK(f.controller.called("pin a;b keep"));

    // After `prompt` the server prompts after each reply: the prompts are not printed.
    const CtlRun prompted = ctl(f, f.path, {"prompt;show version;show backend"});
    CHECK(prompted.status == 0);
    CHECK(prompted.out == "\n0.1.0\n\n# name\nhttps\nssh\n");
}

TEST_CASE("lb ctl waits for a slow reply", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_reload = true;
    auto done = std::async(std::launch::async, [&] {
        std::ostringstream out, err;
        const int status = run_ctl(f.path, {"reload"}, out, err, 5s);
        return std::pair(status, out.str());
    });
    REQUIRE(f.run_until([&] { return f.controller.pending_reloads.size() == 1; }));
    f.controller.pending_reloads[0]({true, "configuration reloaded"});
    REQUIRE(f.run_until([&] { return done.wait_for(0s) == std::future_status::ready; }));
    const auto [status, out] = done.get();
    CHECK(status == 0);
    CHECK(out == "configuration reloaded\n");
}

TEST_CASE("lb ctl exits 2 with a clear message when it cannot talk to lb", "[component][admin]") {
    AdminFixture f;
    const std::string missing = (f.dir.path() / "nope.sock").string();
    const CtlRun absent = ctl(f, missing, {"show", "status"});
    CHECK(absent.status == 2);
    CHECK(absent.out.empty());
    CHECK(absent.err == "lb ctl: cannot connect to " + missing +
                            ": no such file (is lb running? use -s SOCKET or -c lb.toml)\n");

    // A socket file nobody accepts on, as a crashed lb leaves it: connection refused.
    const std::string stale = (f.dir.path() / "stale.sock").string();
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, stale.data(), stale.size());
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
        ::close(fd);
    }
    const CtlRun refused = ctl(f, stale, {"help"});
    CHECK(refused.status == 2);
    CHECK(refused.err == "lb ctl: cannot connect to " + stale +
                             ": connection refused (a stale socket: is lb running? use -s "
                             "SOCKET or -c lb.toml)\n");

    const CtlRun empty = ctl(f, f.path, {});
    CHECK(empty.status == 2);
    CHECK(empty.err == "lb ctl: missing COMMAND (try 'lb ctl help')\n");
}

TEST_CASE("lb ctl gives up at its deadline", "[component][admin]") {
    AdminFixture f;
    f.controller.defer_reload = true;  // never answered
    const CtlRun slow = ctl(f, f.path, {"reload"}, 200ms);
    CHECK(slow.status == 2);
    CHECK(slow.err == "lb ctl: no reply from " + f.path + " within 200 ms\n");
}

}  // namespace
}  // namespace lb::admin::test
