// `lb arbiter` as a real process on loopback, unprivileged: it grants its lease to one member at
// a time, refuses the other until the lease has run out unrenewed, hands out the newest decision
// and keeps it in its state file, and answers nothing that is forged, replayed or from a
// stranger. `lb check` knows its file.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "lb/peer/lease_message.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/child_process.h"
#include "tests/support/json_reader.h"
#include "tests/support/lb_binary.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;
using peer::LeaseKind;
using peer::LeaseVerdict;

constexpr std::string_view kKey = "arbiter-test-key";

// A member's socket: signed requests out, the arbiter's replies in.
class Member {
public:
    Member(std::string id, std::uint16_t arbiter_port, std::string_view key = kKey)
        : id_(std::move(id)), key_(key), fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_.valid());
        arbiter_.sin_family = AF_INET;
        arbiter_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        arbiter_.sin_port = htons(arbiter_port);
    }

    // Sends a request with the next sequence number (or `sequence`), returns what was sent.
    peer::LeaseRequest send(LeaseKind kind, peer::AdvertPolicy policy,
                            std::optional<std::uint64_t> sequence = std::nullopt) {
        peer::LeaseRequest request{id_, kind, std::move(policy), boot_,
                                   sequence.value_or(++sequence_)};
        send_bytes(peer::encode(request, key_));
        return request;
    }
    void send_bytes(const std::vector<std::uint8_t>& bytes) {
        REQUIRE(::sendto(fd_.get(), bytes.data(), bytes.size(), 0,
                         reinterpret_cast<const sockaddr*>(&arbiter_),
                         sizeof arbiter_) == static_cast<ssize_t>(bytes.size()));
    }
    // The next reply that decodes with the pair's key, or nullopt after `wait`.
    std::optional<peer::LeaseReply> reply(std::chrono::milliseconds wait = 2s) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
        std::uint8_t buffer[1024];
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        REQUIRE(n > 0);
        const auto decoded = peer::decode_lease_reply(
            std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)),
            peer::AdvertKey(kKey));
        REQUIRE(decoded.ok());
        return decoded.value();
    }

private:
    std::string id_;
    peer::AdvertKey key_;
    Fd fd_;
    sockaddr_in arbiter_{};
    std::uint64_t boot_ = 0x5eed0000 + static_cast<std::uint64_t>(::getpid());
    std::uint64_t sequence_ = 0;
};

struct ArbiterRig {
    // `metrics_port` 0: no [metrics] listener. `state_dir`: a directory of the workspace for the
    // state file (created here), else the workspace itself.
    explicit ArbiterRig(std::uint16_t metrics_port = 0, const std::string& lease = "300ms",
                        const std::string& state_dir = "") {
        key = dir.path() / "peer.key";
        write_file(key, std::string(kKey) + "\n");
        ::chmod(key.c_str(), 0600);
        config = dir.path() / "arbiter.toml";
        state = (state_dir.empty() ? dir.path() : dir.path() / state_dir) / "arbiter-state.json";
        std::filesystem::create_directories(state.parent_path());
        write_file(config, "[arbiter]\nbind = \"127.0.0.1:" + std::to_string(port) +
                               "\"\nkey_file = \"" + key.string() +
                               "\"\nmembers = [\"lb1\", \"lb2\"]\nlease = \"" + lease + "\"\n"
                               "state_file = \"" + state.string() + "\"\n[admin]\nsocket = \"" +
                               (dir.path() / "arbiter.sock").string() +
                               "\"\n[metrics]\nlisten = \"" +
                               (metrics_port == 0 ? std::string()
                                                  : "127.0.0.1:" + std::to_string(metrics_port)) +
                               "\"\n");
        process = std::make_unique<ChildProcess>(
            std::vector<std::string>{lb_binary(), "arbiter", "-c", config.string()},
            dir.path() / "arbiter.log", dir.path() / "arbiter.log");
        const bool ready = wait_until(
            [&] { return log().find("ready: arbiter") != std::string::npos; }, deadline_in(10s));
        INFO(log());
        REQUIRE(ready);
    }
    [[nodiscard]] std::string log() const { return read_file(dir.path() / "arbiter.log"); }
    // `lb ctl -c arbiter.toml WORDS...`: the socket comes from the arbiter's own file.
    [[nodiscard]] ProgramResult ctl(std::vector<std::string> words) const {
        std::vector<std::string> argv{lb_binary(), "ctl", "-c", config.string()};
        argv.insert(argv.end(), words.begin(), words.end());
        return run_program(argv, deadline_in(10s));
    }

    TempDir dir{"lb-arbiter"};
    std::uint16_t port = free_port();
    std::filesystem::path key, config, state;
    std::unique_ptr<ChildProcess> process;
};

const peer::AdvertPolicy kSiteA{"site-a", false, 3};

TEST_CASE("lb arbiter grants its lease to one member at a time and lets it run out",
          "[e2e][arbiter][one-path]") {
    ArbiterRig rig;
    Member lb1("lb1", rig.port);
    Member lb2("lb2", rig.port);

    // Just started, the arbiter grants nothing for one lease (a holder from before a restart
    // may still count on it): refused, with nobody named, then granted.
    auto asked = lb1.send(LeaseKind::Acquire, kSiteA);
    auto granted = lb1.reply();
    REQUIRE(granted);
    if (granted->verdict == LeaseVerdict::Refused) {
        CHECK(granted->holder.empty());
        CHECK(granted->lease <= 300ms);
        std::this_thread::sleep_for(granted->lease);  // the hold-off's own figure
        asked = lb1.send(LeaseKind::Acquire, kSiteA);
        granted = lb1.reply();
        REQUIRE(granted);
    }
    CHECK(granted->verdict == LeaseVerdict::Granted);
    CHECK(granted->instance_id == "lb1");
    CHECK(granted->holder == "lb1");
    CHECK(granted->lease == 300ms);
    CHECK(granted->request_sequence == asked.sequence);
    REQUIRE(granted->newest);
    CHECK(*granted->newest == kSiteA);
    const auto granted_at = SteadyClock::now();

    (void)lb2.send(LeaseKind::Acquire, {"site-a", false, 2});
    auto refused = lb2.reply();
    REQUIRE(refused);
    if (SteadyClock::now() - granted_at < 300ms) {  // the lease is still running for sure
        CHECK(refused->verdict == LeaseVerdict::Refused);
        CHECK(refused->holder == "lb1");
        CHECK(refused->lease <= 300ms);
    }
    // The holder renews; the other is still refused.
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    REQUIRE(lb1.reply());
    // Unrenewed for longer than the lease: the other member gets it.
    std::this_thread::sleep_for(400ms);  // > lease: the lower bound is what matters
    (void)lb2.send(LeaseKind::Acquire, {"site-b", false, 4});
    auto taken = lb2.reply();
    REQUIRE(taken);
    CHECK(taken->verdict == LeaseVerdict::Granted);
    CHECK(taken->holder == "lb2");
    // lb2's decision (epoch 4) is the newest now, for everyone, and on disk.
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    auto newest = lb1.reply();
    REQUIRE(newest);
    CHECK(newest->verdict == LeaseVerdict::Refused);
    REQUIRE(newest->newest);
    CHECK(newest->newest->active_site == "site-b");
    CHECK(newest->newest->epoch == 4);
    CHECK(read_file(rig.state).find(R"("active":"site-b")") != std::string::npos);
    // Released by its holder: free at once.
    (void)lb2.send(LeaseKind::Release, {"site-b", false, 4});
    REQUIRE(lb2.reply());
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    auto back = lb1.reply();
    REQUIRE(back);
    CHECK(back->verdict == LeaseVerdict::Granted);

    const StopResult stopped = rig.process->stop(SIGTERM, deadline_in(5s));
    CHECK(stopped.exit_code == 0);
}

std::size_t count_substring(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

// A decision the disk refused is kept in memory and written once the disk takes it: here the
// state file's directory disappears (which stops root as well as anyone) and comes back.
TEST_CASE("lb arbiter keeps a decision its state file could not take and writes it later, "
          "saying so once each way",
          "[e2e][arbiter][state-file][one-path]") {
    ArbiterRig rig(0, "300ms", "state");
    Member lb1("lb1", rig.port);
    const std::filesystem::path state_dir = rig.state.parent_path();
    std::filesystem::remove_all(state_dir);

    const peer::AdvertPolicy decided{"site-b", false, 7};
    (void)lb1.send(LeaseKind::Acquire, decided);
    auto reply = lb1.reply();
    REQUIRE(reply);
    REQUIRE(reply->newest);
    CHECK(*reply->newest == decided);  // kept in memory
    // More requests while the directory is missing: each retries, none logs again.
    for (int i = 0; i < 5; ++i) {
        (void)lb1.send(LeaseKind::Acquire, decided);
        REQUIRE(lb1.reply());
    }
    CHECK_FALSE(std::filesystem::exists(rig.state));
    const auto failures = [&] {
        return count_substring(rig.log(), "error arbiter state file " + rig.state.string());
    };
    // The log is written by a thread of its own: wait for the line, then for the later ones'
    // absence by a marker logged after them (the next outage's end, below).
    CHECK(wait_until([&] { return failures() == 1; }, deadline_in(5s)));

    std::filesystem::create_directories(state_dir);
    (void)lb1.send(LeaseKind::Acquire, decided);
    REQUIRE(lb1.reply());
    REQUIRE(std::filesystem::exists(rig.state));
    const auto loaded = json::parse(read_file(rig.state));
    REQUIRE(loaded.value);
    CHECK((*loaded.value)["active"].string() == "site-b");
    CHECK((*loaded.value)["epoch"].number() == 7);
    const std::string recovered =
        "arbiter state file " + rig.state.string() + " written again: site-b, epoch 7";
    CHECK(wait_until([&] { return count_substring(rig.log(), recovered) == 1; },
                     deadline_in(5s)));
    INFO(rig.log());
    CHECK(failures() == 1);
}

TEST_CASE("lb arbiter answers nothing forged, replayed or from a stranger", "[e2e][arbiter][one-path]") {
    ArbiterRig rig;
    Member lb1("lb1", rig.port);
    auto first = lb1.send(LeaseKind::Acquire, kSiteA);
    REQUIRE(lb1.reply());
    (void)lb1.send(LeaseKind::Acquire, kSiteA, first.sequence);  // replayed
    CHECK_FALSE(lb1.reply(300ms));
    Member forger("lb1", rig.port, "another key");
    (void)forger.send(LeaseKind::Acquire, kSiteA);
    CHECK_FALSE(forger.reply(300ms));
    Member stranger("lb3", rig.port);
    (void)stranger.send(LeaseKind::Acquire, kSiteA);
    CHECK_FALSE(stranger.reply(300ms));
    lb1.send_bytes({'L', 'B', 'L', 'Q', 1, 0});  // malformed
    CHECK_FALSE(lb1.reply(300ms));
    // One log line for the flood (rate-limited), naming the first reason.
    CHECK(rig.log().find("arbiter: request from 127.0.0.1:") != std::string::npos);
    // The lease is lb1's all along: a fresh request is still granted.
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    const auto still = lb1.reply();
    REQUIRE(still);
    CHECK(still->verdict == LeaseVerdict::Granted);
}

TEST_CASE("lb check validates an arbiter file and names its mistakes", "[e2e][arbiter][one-path]") {
    TempDir dir("lb-arbiter-check");
    const auto good = dir.path() / "arbiter.toml";
    write_file(good,
               "[arbiter]\nbind = \"127.0.0.1:5406\"\nkey_file = \"/etc/lb/peer.key\"\n"
               "members = [\"lb1\", \"lb2\"]\n");
    const ProgramResult ok = run_program({lb_binary(), "check", "-c", good.string()}, deadline_in(10s));
    INFO(ok.out);
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("arbiter on 127.0.0.1:5406 for lb1 and lb2, lease 600 ms") !=
          std::string::npos);
    const auto bad = dir.path() / "bad.toml";
    write_file(bad, "[arbiter]\nbind = \"127.0.0.1:5406\"\nkey_file = \"k\"\nmembers = [\"lb1\"]\n");
    const ProgramResult refused =
        run_program({lb_binary(), "check", "-c", bad.string()}, deadline_in(10s));
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.find(bad.string() + ":4:11: error: arbiter.members:") != std::string::npos);
}

}  // namespace
}  // namespace lb::test

namespace lb::test {
namespace {

// The lease granted, as `show arbiter` and the metrics see it.
TEST_CASE("lb arbiter shows its lease, members and counters on its admin socket and in metrics",
          "[e2e][arbiter][one-path]") {
    const std::uint16_t metrics_port = free_port();
    // A lease long enough that it is still lb1's while `lb ctl` starts and asks, even in a
    // sanitizer build on a loaded machine.
    ArbiterRig rig(metrics_port, "3s");
    Member lb1("lb1", rig.port);
    Member lb2("lb2", rig.port);
    // Granted once the hold-off after the start (one lease) is over.
    const bool granted = wait_until(
        [&] {
            (void)lb1.send(LeaseKind::Acquire, kSiteA);
            const auto reply = lb1.reply();
            return reply && reply->verdict == LeaseVerdict::Granted;
        },
        deadline_in(10s), 50ms);
    REQUIRE(granted);
    (void)lb2.send(LeaseKind::Acquire, {"site-a", false, 2});
    const auto refused = lb2.reply();
    REQUIRE(refused);
    Member("lb1", rig.port, "another key").send(LeaseKind::Acquire, kSiteA);  // bad_signature
    // Keep the lease running while the operator looks.
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    REQUIRE(lb1.reply());

    const ProgramResult shown = rig.ctl({"show", "arbiter", "json"});
    INFO(shown.out);
    REQUIRE(shown.exit_code == 0);
    const auto parsed = json::parse(shown.out);
    REQUIRE(parsed.value);
    const json::Value& view = *parsed.value;
    CHECK(view["bind"].string() == "127.0.0.1:" + std::to_string(rig.port));
    CHECK(view["lease_ms"].number() == 3000);
    CHECK(refused->verdict == LeaseVerdict::Refused);
    CHECK(view["holder"].string() == "lb1");
    CHECK(view["decision"]["active"].string() == "site-a");
    CHECK(view["decision"]["epoch"].number() == 3);
    CHECK(view["members"][0]["id"].string() == "lb1");
    CHECK(view["members"][0]["verdict"].string() == "granted");
    CHECK(view["members"][0]["address"].string().starts_with("127.0.0.1:"));
    CHECK(view["members"][1]["id"].string() == "lb2");
    CHECK(view["members"][1]["requests"].number() == 1);
    CHECK(view["granted"].number() >= 2);
    CHECK(view["refused"].number() >= 1);
    const bool dropped = wait_until(
        [&] {
            const auto again = json::parse(rig.ctl({"show", "arbiter", "json"}).out);
            return again.value && (*again.value)["rejected"]["bad_signature"].number() == 1;
        },
        deadline_in(3s));
    CHECK(dropped);

    const ProgramResult text = rig.ctl({"show", "arbiter"});
    INFO(text.out);
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("member lb1:") != std::string::npos);
    CHECK(text.out.find("decision:        site-a, epoch 3") != std::string::npos);

    // lb run's commands are unknown here, with HAProxy's answer; `lb ctl` exits 1 on it.
    const ProgramResult unknown = rig.ctl({"show", "stat"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.out.starts_with("Unknown command, but maybe one of the following"));
    CHECK(unknown.out.find("show arbiter [json]") != std::string::npos);

    const Exposition metrics = ops::scrape(metrics_port);
    CHECK(metrics.type("lb_arbiter_lease_holder") == "gauge");
    CHECK(metrics.type("lb_arbiter_requests_total") == "counter");
    CHECK(ops::metric(metrics, "lb_arbiter_lease_seconds", {}) == Approx(3.0));
    CHECK(ops::metric(metrics, "lb_arbiter_requests_total", {{"verdict", "granted"}}) >= 2);
    CHECK(ops::metric(metrics, "lb_arbiter_member_requests_total", {{"member", "lb2"}}) == 1);
    CHECK(ops::metric(metrics, "lb_arbiter_requests_dropped_total",
                      {{"reason", "bad_signature"}}) == 1);
    CHECK(ops::metric(metrics, "lb_arbiter_requests_dropped_total", {{"reason", "replayed"}}) ==
          0);
    CHECK(ops::metric(metrics, "lb_arbiter_decision_epoch", {}) == 3);
    // The lease is lb1's while it renews; lb2's series is there at 0.
    (void)lb1.send(LeaseKind::Acquire, kSiteA);
    REQUIRE(lb1.reply());
    const Exposition renewed = ops::scrape(metrics_port);
    CHECK(ops::metric(renewed, "lb_arbiter_lease_holder", {{"member", "lb2"}}) == 0);
    // An arbiter has no status page: only /metrics.
    const auto page = ops::fetch_http(metrics_port, "/status.json");
    REQUIRE(page);
    CHECK(page->status == 404);
}

}  // namespace
}  // namespace lb::test
