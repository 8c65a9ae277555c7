// NotifyHook against real child processes on a real loop: the role reaches the script, a
// script past its deadline is killed, roles that change while one runs collapse to the newest,
// and nothing is left on the loop afterwards.
#include "lb/peer/notify_hook.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/loop_runner.h"
#include "tests/support/temp_dir.h"

namespace lb::peer {
namespace {

using namespace std::chrono_literals;

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A script that appends its argument to `log` (after `delay`, as a shell sleep argument).
std::filesystem::path write_script(const std::filesystem::path& dir, const std::string& delay) {
    const auto script = dir / "notify.sh";
    std::ofstream(script) << "#!/bin/sh\nsleep " << delay << "\necho \"$1\" >> "
                          << (dir / "log").string() << "\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    return script;
}

TEST_CASE("the notify hook runs the script with the role, in the background", "[component][peer]") {
    test::TempDir dir("lb-notify");
    test::TestLoop loop;
    {
        NotifyHook hook(loop.get(), write_script(dir.path(), "0").string());
        hook.run("MASTER");
        CHECK(hook.running());
        REQUIRE(loop.run_until([&] { return read(dir.path() / "log") == "MASTER\n"; }, 5s));
        REQUIRE(loop.run_until([&] { return !hook.running(); }, 5s));
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("roles that change while the script runs collapse to the newest", "[component][peer]") {
    test::TempDir dir("lb-notify");
    test::TestLoop loop;
    {
        NotifyHook hook(loop.get(), write_script(dir.path(), "0.2").string());
        hook.run("MASTER");
        hook.run("BACKUP");  // queued
        hook.run("FAULT");   // replaces BACKUP in the queue
        REQUIRE(loop.run_until([&] { return read(dir.path() / "log") == "MASTER\nFAULT\n"; }, 5s));
        REQUIRE(loop.run_until([&] { return !hook.running(); }, 5s));
        CHECK(read(dir.path() / "log") == "MASTER\nFAULT\n");
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("a script past its deadline is killed, a missing one is reported and not fatal",
          "[component][peer]") {
    test::TempDir dir("lb-notify");
    test::TestLoop loop;
    {
        // The script starts a child of its own and waits for it: the kill must reach both.
        const auto script = dir.path() / "slow.sh";
        std::ofstream(script) << "#!/bin/sh\nsleep 30 &\necho $! > " << (dir.path() / "child").string()
                              << "\nwait\necho \"$1\" >> " << (dir.path() / "log").string() << "\n";
        std::filesystem::permissions(script, std::filesystem::perms::owner_all);
        NotifyHook slow(loop.get(), script.string(), 200ms);
        slow.run("MASTER");
        REQUIRE(loop.run_until([&] { return !slow.running(); }, 5s));  // killed at 200 ms
        CHECK(read(dir.path() / "log").empty());
        const pid_t child = static_cast<pid_t>(std::stol("0" + read(dir.path() / "child")));
        REQUIRE(child > 0);
        // Killed with the script (reaped by init once orphaned): gone within a moment.
        CHECK(loop.run_until([&] { return ::kill(child, 0) != 0 && errno == ESRCH; }, 5s));
        NotifyHook missing(loop.get(), (dir.path() / "no-such-script").string());
        missing.run("BACKUP");
        CHECK_FALSE(missing.running());
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::peer
