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
    CHECK(unknown.out == "error: unknown command 'frobnicate'; try 'help'\n");

    const CtlRun refused = ctl(f, f.path, {"pin", "nowhere"});
    CHECK(refused.status == 1);

    const CtlRun haproxy = ctl(f, f.path, {"set", "server", "nope/site-a", "state", "ready"});
    CHECK(haproxy.status == 1);
    CHECK(haproxy.out == "No such backend.\n");
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
