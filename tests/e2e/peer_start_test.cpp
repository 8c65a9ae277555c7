// `lb run` with a [peer] section refuses to start, with the reason and exit 1, when it could not
// do its job as a peer: no privilege to move the VIP, or a key file that is missing, empty or
// readable by others. Nothing is left behind (no admin socket, no VIP).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/lb_binary.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

struct Run {
    int exit_code = -1;
    std::string err;
};

std::string peer_config(const TempDir& dir, const std::filesystem::path& key) {
    return R"([global]
workers = 1
state_file = ")" +
           (dir.path() / "state.json").string() + R"("
[metrics]
listen = ""
[admin]
socket = ")" +
           (dir.path() / "admin.sock").string() +
           R"("
[[sites]]
name = "site-a"
address = "127.0.0.1"
role = "primary"
[[sites]]
name = "site-b"
address = "127.0.0.2"
role = "standby"
[[listeners]]
name = "web"
bind = "127.0.0.1:1"
[peer]
id = "lb1"
peer_id = "lb2"
bind = "127.0.0.1:5405"
peers = ["127.0.0.2:5405"]
key_file = ")" +
           key.string() +
           R"("
vip = "127.0.0.100/8"
interface = "lo"
)";
}

// `lb run` on `config`, optionally through `setpriv` to drop capabilities; it must exit by
// itself.
Run run_lb(const TempDir& dir, const std::string& config, std::vector<std::string> prefix = {}) {
    const auto path = dir.path() / "lb.toml";
    write_file(path, config);
    std::vector<std::string> argv = std::move(prefix);
    for (const char* word : {lb_binary(), "run", "-c"}) argv.emplace_back(word);
    argv.push_back(path.string());
    ChildProcess lb(argv, dir.path() / "out", dir.path() / "err");
    const auto result = lb.wait_exit(deadline_in(10s));
    REQUIRE(result);  // it must refuse, not run
    return {result->exit_code, read_file(dir.path() / "err")};
}

std::filesystem::path key_file(const TempDir& dir, const std::string& bytes, mode_t mode) {
    const auto key = dir.path() / "peer.key";
    write_file(key, bytes);
    REQUIRE(::chmod(key.c_str(), mode) == 0);
    return key;
}

TEST_CASE("peer: without CAP_NET_ADMIN and CAP_NET_RAW lb run says so and exits 1",
          "[e2e][peer][one-path]") {
    if (!std::filesystem::exists("/usr/bin/setpriv")) skip_test("setpriv (util-linux) not found");
    TempDir dir("lb-peer-start");
    const auto key = key_file(dir, "0123456789abcdef0123456789abcdef\n", 0600);
    const Run run =
        run_lb(dir, peer_config(dir, key),
               {"/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-net_admin,-net_raw"});
    INFO(run.err);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("CAP_NET_ADMIN") != std::string::npos);
    CHECK(run.err.find("CAP_NET_RAW") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "admin.sock"));
}

TEST_CASE("peer: a missing, empty or world-readable key file is refused with the reason",
          "[e2e][peer][one-path]") {
    if (::geteuid() != 0) skip_test("needs root: the key is checked after the capabilities");
    struct Case {
        const char* what;
        std::string bytes;
        mode_t mode;
        const char* says;
    };
    for (const Case& c : {Case{"world-readable", "0123456789abcdef\n", 0644, "world-readable"},
                          Case{"group-readable", "0123456789abcdef\n", 0640, "group-readable"},
                          Case{"empty", "", 0600, "empty"}}) {
        INFO(c.what);
        TempDir dir("lb-peer-start");
        const auto key = key_file(dir, c.bytes, c.mode);
        const Run run = run_lb(dir, peer_config(dir, key));
        INFO(run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.err.find(key.string()) != std::string::npos);
        CHECK(run.err.find(c.says) != std::string::npos);
    }
    TempDir dir("lb-peer-start");
    const Run missing = run_lb(dir, peer_config(dir, dir.path() / "no-such.key"));
    INFO(missing.err);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no-such.key") != std::string::npos);
}

}  // namespace
}  // namespace lb::test
