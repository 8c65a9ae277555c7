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
#include "tests/support/child_process.h"
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
    ArbiterRig() {
        key = dir.path() / "peer.key";
        write_file(key, std::string(kKey) + "\n");
        ::chmod(key.c_str(), 0600);
        config = dir.path() / "arbiter.toml";
        state = dir.path() / "arbiter-state.json";
        write_file(config, "[arbiter]\nbind = \"127.0.0.1:" + std::to_string(port) +
                               "\"\nkey_file = \"" + key.string() +
                               "\"\nmembers = [\"lb1\", \"lb2\"]\nlease = \"300ms\"\n"
                               "state_file = \"" + state.string() + "\"\n[admin]\nsocket = \"" +
                               (dir.path() / "arbiter.sock").string() +
                               "\"\n[metrics]\nlisten = \"\"\n");
        process = std::make_unique<ChildProcess>(
            std::vector<std::string>{LB_BINARY, "arbiter", "-c", config.string()},
            dir.path() / "arbiter.log", dir.path() / "arbiter.log");
        const bool ready = wait_until(
            [&] { return log().find("ready: arbiter") != std::string::npos; }, deadline_in(10s));
        INFO(log());
        REQUIRE(ready);
    }
    [[nodiscard]] std::string log() const { return read_file(dir.path() / "arbiter.log"); }

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
    const ProgramResult ok = run_program({LB_BINARY, "check", "-c", good.string()}, deadline_in(10s));
    INFO(ok.out);
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("arbiter on 127.0.0.1:5406 for lb1 and lb2, lease 600 ms") !=
          std::string::npos);
    const auto bad = dir.path() / "bad.toml";
    write_file(bad, "[arbiter]\nbind = \"127.0.0.1:5406\"\nkey_file = \"k\"\nmembers = [\"lb1\"]\n");
    const ProgramResult refused =
        run_program({LB_BINARY, "check", "-c", bad.string()}, deadline_in(10s));
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.find(bad.string() + ":4:11: error: arbiter.members:") != std::string::npos);
}

}  // namespace
}  // namespace lb::test
