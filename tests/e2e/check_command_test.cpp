// `lb check -c FILE`: a valid file prints a summary and exits 0; an invalid one prints every
// problem as file:line:col: error: key: message and exits 1.
#include <string>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/lb_binary.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

struct CheckRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

CheckRun run_check(const TempDir& dir, const std::string& config_text) {
    const auto config = dir.path() / "lb.toml";
    write_file(config, config_text);
    ChildProcess check({lb_binary(), "check", "-c", config.string()}, dir.path() / "out",
                       dir.path() / "err");
    const auto result = check.wait_exit(deadline_in(10s));
    REQUIRE(result);
    return {result->exit_code, read_file(dir.path() / "out"), read_file(dir.path() / "err")};
}

constexpr const char* kSites = R"(
[[sites]]
name = "site-a"
address = "10.0.0.11"
role = "primary"

[[sites]]
name = "site-b"
address = "fd00::12"
role = "standby"
)";

TEST_CASE("lb check: a valid file gets a summary and exit 0", "[e2e][check][one-path]") {
    TempDir dir;
    const CheckRun run = run_check(dir, std::string(kSites) + R"(
[[listeners]]
name = "https"
bind = "[::]:443"
)");
    INFO("stdout:\n" << run.out << "stderr:\n" << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("site-a") != std::string::npos);
    CHECK(run.out.find("site-b") != std::string::npos);
    CHECK(run.out.find("https") != std::string::npos);
    CHECK(run.out.find(": ok") != std::string::npos);
}

TEST_CASE("lb check: every mistake as file:line:col with its key, exit 1",
          "[e2e][check][one-path]") {
    TempDir dir;
    const CheckRun run = run_check(dir, std::string("[timeouts]\nconnect = 5\n") + kSites + R"(
[[listeners]]
name = "https"
bind = "0.0.0.0:70000"
tpyo = 1
)");
    INFO("stdout:\n" << run.out << "stderr:\n" << run.err);
    CHECK(run.exit_code == 1);
    const std::string file = (dir.path() / "lb.toml").string();
    CHECK(run.err.find(file + ":2:11: error: timeouts.connect:") != std::string::npos);
    CHECK(run.err.find("listeners[0].bind") != std::string::npos);
    CHECK(run.err.find("listeners[0].tpyo: unknown key") != std::string::npos);
}

}  // namespace
}  // namespace lb::test
