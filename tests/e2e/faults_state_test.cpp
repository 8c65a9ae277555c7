// The state file under faults, end to end: a directory that turns read-only or a disk that fills
// up (lb keeps deciding, says so once, and writes the decision when it can), and SIGKILL while
// decisions are being written (the file is always one whole decision). No traffic: [one-path].
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "tests/e2e/failover_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

namespace fs = std::filesystem;

// This test process (and the lb it starts) in a mount namespace of its own whose mounts reach
// no one else, so the test may mount over a directory of its own. Skips (exit 77) unless root;
// must run before the test starts any thread (unshare(CLONE_NEWNS) implies CLONE_FS).
void require_private_mounts() {
    if (::geteuid() != 0)
        skip_test(
            "the state file's disk faults need root: a read-only bind mount and a tiny "
            "tmpfs, in a mount namespace of the test's own");
    if (::unshare(CLONE_NEWNS) != 0)
        skip_test(std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno));
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        skip_test(std::string("mount --make-rprivate /: ") + std::strerror(errno));
}

// A mount on `dir` that goes away with its object (lazily: lb may still hold the directory).
class MountGuard {
public:
    explicit MountGuard(fs::path dir) : dir_(std::move(dir)) {}
    ~MountGuard() { (void)::umount2(dir_.c_str(), MNT_DETACH); }
    MountGuard(const MountGuard&) = delete;
    MountGuard& operator=(const MountGuard&) = delete;

private:
    fs::path dir_;
};

std::string errno_text() { return std::strerror(errno); }

// The state file's directory turns unwritable (`break_it`) and later writable again
// (`repair`); lb must keep its decisions in memory meanwhile, log the failure once, and write
// the newest decision once it can.
void check_unwritable_then_repaired(const std::string& fault, const fs::path& state_dir,
                                    const std::function<void()>& break_it,
                                    const std::function<void()>& repair) {
    const Front front = free_front();
    LbConfig config = front_config(front, free_port(kSiteA));  // no site answers: no traffic
    config.state_file_path = state_dir / "state.json";
    LbWorkspace ws("lb-faults");
    ws.write_config(config);
    auto lb = start_lb(ws);
    const fs::path state = config.state_file_path;
    const std::string socket = ws.admin_socket().string();
    // A first decision lands on the healthy disk.
    REQUIRE_FALSE(ops::is_error(ops::admin(socket, "pin site-b")));
    (void)require_state(
        state, [](const StateDocument& d) { return d.active == "site-b"; },
        "site-b pinned before the fault");

    break_it();
    const auto state_errors = [&] {
        return lb->count_log([&](std::string_view line) {
            return log_level(line) == "error" &&
                   log_message(line).find(state.string()) != std::string::npos;
        });
    };
    // Decisions go on; the file cannot follow.
    for (const char* command : {"pin site-a", "unpin", "pin site-b", "pin site-a"}) {
        INFO(command);
        REQUIRE_FALSE(ops::is_error(ops::admin(socket, command)));
    }
    REQUIRE(wait_until([&] { return state_errors() >= 1; }, deadline_in(5s)));
    // Retries run every second: let a few pass, then count the lines.
    std::this_thread::sleep_for(3500ms);  // the span over which lines are counted, not a wait
    INFO(fault << "; lb log:\n" << log_of(*lb));
    CHECK(state_errors() == 1);
    CHECK(lb->running());
    const json::Value status = ops::admin_json(socket, "show status json");
    CHECK(status["active_site"].string() == "site-a");
    const auto on_disk = parse_state(read_file(state));
    REQUIRE(on_disk);  // the old decision, whole
    CHECK(on_disk->active == "site-b");

    repair();
    const StateDocument written = require_state(
        state, [](const StateDocument& d) { return d.active == "site-a" && d.pinned == "site-a"; },
        "the newest decision once the disk takes writes again", deadline_in(10s));
    CHECK(written.epoch > on_disk->epoch);
    CHECK(lb->wait_for_log(
        [&](std::string_view line) {
            return message_starts_with(line, "state file " + state.string() + " written again");
        },
        deadline_in(5s)));
    CHECK(state_errors() == 1);
    // Leftovers of the failed attempts: none.
    for (const auto& entry : fs::directory_iterator(state_dir)) {
        const std::string name = entry.path().filename().string();
        INFO(name);
        CHECK((name == "state.json" || name == "filler"));
    }
    // And the next change is written at once.
    REQUIRE_FALSE(ops::is_error(ops::admin(socket, "unpin")));
    (void)require_state(
        state, [](const StateDocument& d) { return !d.pinned.has_value(); }, "unpinned");
}

TEST_CASE(
    "the state file's directory turns read-only: lb keeps deciding, logs it once, and "
    "writes the decision once it can",
    "[e2e][faults][state-file][one-path]") {
    require_private_mounts();
    const TempDir dir("lb-faults-state");
    // A bind mount of the directory on itself, remounted read-only: root's writes fail with
    // EROFS too (chmod would not stop root).
    if (::mount(dir.path().c_str(), dir.path().c_str(), nullptr, MS_BIND, nullptr) != 0)
        skip_test("bind mount of " + dir.path().string() + ": " + errno_text());
    const MountGuard guard(dir.path());
    const auto remount = [&](unsigned long flags) {
        INFO("remount " << dir.path() << ": " << errno_text());
        REQUIRE(::mount(nullptr, dir.path().c_str(), nullptr, MS_BIND | MS_REMOUNT | flags,
                        nullptr) == 0);
    };
    check_unwritable_then_repaired(
        "read-only", dir.path(), [&] { remount(MS_RDONLY); }, [&] { remount(0); });
}

TEST_CASE(
    "the state file's disk is full: lb keeps deciding, logs it once, and writes the "
    "decision once there is room",
    "[e2e][faults][state-file][one-path]") {
    require_private_mounts();
    const TempDir dir("lb-faults-state");
    if (::mount("lb-faults", dir.path().c_str(), "tmpfs", 0, "size=64k,mode=0755") != 0)
        skip_test("tmpfs on " + dir.path().string() + ": " + errno_text());
    const MountGuard guard(dir.path());
    const fs::path filler = dir.path() / "filler";
    check_unwritable_then_repaired(
        "full", dir.path(),
        [&] {
            std::ofstream out(filler, std::ios::binary);
            const std::string block(4096, 'x');
            for (int i = 0; i < 1024; ++i)
                if (!out.write(block.data(), static_cast<std::streamsize>(block.size())).flush())
                    break;
            const std::string probe_path = (dir.path() / "probe").string();
            std::ofstream probe(probe_path, std::ios::binary);
            probe << std::string(4096, 'p') << std::flush;
            INFO("the tmpfs took another page: it is not full");
            REQUIRE_FALSE(probe.good());
            fs::remove(probe_path);
        },
        [&] { fs::remove(filler); });
}

// lb is SIGKILLed at pseudo-random moments while an operator flips the decision as fast as the
// admin socket answers: after every kill the file holds one whole decision (a later one than
// before the kill, or the same), and the next lb starts on it.
TEST_CASE("SIGKILL while decisions are being written: the state file is always whole",
          "[e2e][faults][state-file][sigkill][one-path]") {
    constexpr int kRounds = 15;
    const Front front = free_front();
    LbWorkspace ws("lb-faults");
    ws.write_config(front_config(front, free_port(kSiteA)));
    std::minstd_rand rng(20261207);
    std::uint64_t last_epoch = 0;
    int flips_total = 0;
    for (int round = 0; round < kRounds; ++round) {
        INFO("round " << round);
        auto lb = start_lb(ws);
        if (round > 0) {
            // The previous round's file is the one this lb started on.
            const auto before = parse_state(read_file(ws.state_file()));
            REQUIRE(before);
            const json::Value status = ops::admin_json(ws.admin_socket(), "show status json");
            CHECK(status["active_site"].string() == before->active);
        }
        std::atomic<bool> stop{false};
        std::atomic<int> flips{0};
        std::thread flipper([&] {
            for (int i = 0; i < 10000 && !stop; ++i) {
                ops::AdminClient client(ws.admin_socket());
                if (!client.connected()) break;
                const auto reply =
                    client.command(i % 2 == 0 ? "pin site-b" : "pin site-a", deadline_in(2s));
                if (!reply) break;
                ++flips;
            }
        });
        REQUIRE(wait_until([&] { return flips >= 2; }, deadline_in(10s)));
        std::this_thread::sleep_for(
            std::chrono::milliseconds(rng() % 60));  // the random moment of the kill
        const StopResult killed = lb->stop(SIGKILL, deadline_in(5s));
        stop = true;
        flipper.join();
        flips_total += flips;
        CHECK(killed.signal == SIGKILL);

        const std::string text = read_file(ws.state_file());
        INFO("state file after the kill: " << text);
        const auto state = parse_state(text);
        REQUIRE(state);
        CHECK(state->epoch >= last_epoch);
        CHECK(state->pinned == state->active);
        last_epoch = state->epoch;
    }
    INFO(flips_total << " flips over " << kRounds << " rounds");
    CHECK(flips_total >= 2 * kRounds);
    CHECK(last_epoch > 0);

    // A last start: it comes up on the file's decision and clears the temporary files that kills
    // between a save's create and its rename left behind.
    auto lb = start_lb(ws);
    const auto state = parse_state(read_file(ws.state_file()));
    REQUIRE(state);
    const json::Value status = ops::admin_json(ws.admin_socket(), "show status json");
    CHECK(status["active_site"].string() == state->active);
    for (const auto& entry : fs::directory_iterator(ws.dir())) {
        const std::string name = entry.path().filename().string();
        INFO(name);
        CHECK(name.find(".tmp.") == std::string::npos);
    }
}

}  // namespace
}  // namespace lb::test
