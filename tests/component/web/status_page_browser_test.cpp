// The status page as a browser sees it: headless Chromium loads it from a live endpoint and dumps
// the DOM it built, which must show both sites and mark the active one. CI installs Debian's
// `chromium`; without it this test fails and says so.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "tests/component/web/endpoint_fixture.h"
#include "tests/support/wait.h"

extern char** environ;

namespace lb::web {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> find_chromium() {
    if (const char* configured = std::getenv("LB_CHROMIUM"); configured != nullptr)
        return std::string(configured);
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        for (const char* name : {"chromium", "chromium-browser"}) {
            const std::string candidate = dirs.substr(start, end - start) + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

struct BrowserRun {
    std::string dom;
    bool finished = false;  // exited before the deadline
    int exit_status = -1;
};

// Runs Chromium in its own process group with stdout on a pipe, reading until EOF or the
// deadline; the group is killed at the end either way (the browser forks helpers).
BrowserRun dump_dom(const std::string& chromium, const std::string& url,
                    const std::filesystem::path& profile) {
    BrowserRun run;
    std::array<int, 2> out{};
    REQUIRE(::pipe2(out.data(), O_CLOEXEC) == 0);
    const std::string stderr_path = (profile / "stderr.log").string();
    const std::string user_data = "--user-data-dir=" + (profile / "data").string();
    std::vector<std::string> args = {chromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-dev-shm-usage",
                                     user_data,
                                     "--dump-dom",
                                     url};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    pid_t pid = -1;
    const int spawned =
        ::posix_spawn(&pid, chromium.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        FAIL("cannot start " << chromium << ": errno " << spawned);
    }

    // A cold start on a loaded 2-core machine can take many seconds; the loop thread serves
    // the page meanwhile.
    const auto deadline = test::deadline_in(90s);
    std::array<char, 65536> buffer{};
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - test::SteadyClock::now());
        if (left.count() <= 0) break;
        pollfd readable{out[0], POLLIN, 0};
        if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t n = ::read(out[0], buffer.data(), buffer.size());
        if (n <= 0) {
            run.finished = true;
            break;
        }
        run.dom.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    if (run.finished) {
        // EOF on stdout: the browser is exiting; give it the rest of the deadline.
        while (::waitpid(pid, &status, WNOHANG) == 0 && !test::expired(deadline))
            std::this_thread::sleep_for(10ms);
    }
    ::kill(-pid, SIGKILL);  // the whole group we started: helpers included
    if (::waitpid(pid, &status, WNOHANG) == 0) (void)::waitpid(pid, &status, 0);
    run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

TEST_CASE("headless Chromium renders the status page with the active site marked",
          "[component][metrics][browser]") {
    const std::optional<std::string> chromium = find_chromium();
    if (!chromium)
        FAIL(
            "chromium is not installed: `apt-get install -y chromium` (Debian's package; "
            "scripts/install-deps.sh installs it), or set LB_CHROMIUM to its path");

    testing::EndpointFixture fixture;
    REQUIRE(fixture.start_error().empty());
    char profile_template[] = "/tmp/lb-chromium-XXXXXX";
    REQUIRE(::mkdtemp(profile_template) != nullptr);
    const std::filesystem::path profile = profile_template;

    const BrowserRun run =
        dump_dom(*chromium, "http://127.0.0.1:" + std::to_string(fixture.port()) + "/", profile);
    std::string problem;
    if (!run.finished) {
        problem = "chromium did not finish within the deadline";
    } else if (run.dom.empty()) {
        problem = "chromium printed no DOM (exit status " + std::to_string(run.exit_status) + ")";
    }
    if (!problem.empty()) {  // the end of the browser's stderr says why
        std::ifstream log(profile / "stderr.log");
        const std::string text((std::istreambuf_iterator<char>(log)), {});
        problem +=
            "; stderr ends with:\n" + text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(profile, ignored);
    INFO(problem);
    REQUIRE(run.finished);
    REQUIRE_FALSE(run.dom.empty());

    INFO(run.dom);
    // The DOM as Chromium parsed it: names in their elements, the marker in the active row only.
    CHECK(run.dom.find("<span class=\"site-name\">site-alpha</span>") != std::string::npos);
    CHECK(run.dom.find("<span class=\"site-name\">site-beta</span>") != std::string::npos);
    CHECK(testing::site_row(run.dom, "site-beta").find("class=\"active-marker\">ACTIVE<") !=
          std::string::npos);
    CHECK(testing::site_row(run.dom, "site-alpha").find("active-marker") == std::string::npos);
    CHECK(fixture.finish() == 0);
}

}  // namespace
}  // namespace lb::web
