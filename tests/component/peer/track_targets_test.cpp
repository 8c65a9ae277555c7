// TrackTargets on real loopback sockets: a target that stops listening becomes unreachable after
// three refused connects, and reachable again after three good ones; the verdict names only the
// targets that are down.
#include "lb/peer/track_targets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lb/base/scheduler.h"
#include "tests/support/loop_runner.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

// A loopback port that listens (the kernel completes handshakes; nothing needs to accept) and
// can stop and start again on the same port.
class TrackedPort {
public:
    TrackedPort() { listen_on(0); }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string target() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
    void stop() { fd_ = Fd(); }
    void restart() { listen_on(port_); }

private:
    void listen_on(std::uint16_t port) {
        fd_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd_.valid());
        const int on = 1;
        REQUIRE(::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_.get(), 1024) == 0);
        port_ = local_port(fd_.get());
    }

    Fd fd_;
    std::uint16_t port_ = 0;
};

TEST_CASE("a track target that stops listening is unreachable after three refused connects",
          "[component][peer]") {
    TestLoop loop;
    {
        LoopScheduler scheduler(loop.get());
        TrackedPort up;
        TrackedPort flapping;
        std::vector<std::string> verdicts;
        auto created = peer::TrackTargets::create(
            loop.get(), scheduler, {up.target(), flapping.target()}, 20ms,
            [&](const std::string& problem) { verdicts.push_back(problem); });
        REQUIRE(created.ok());
        peer::TrackTargets& track = *created.value();
        track.start();
        run_for(loop.get(), 200ms);  // ten rounds of checks: both reachable, nothing to say
        CHECK(verdicts.empty());
        CHECK(track.problem().empty());

        flapping.stop();
        REQUIRE(loop.run_until([&] { return !verdicts.empty(); }, 5s));
        const std::string expected =
            "track " + flapping.target() + " unreachable (connect refused ×3)";
        CHECK(verdicts.at(0) == expected);
        CHECK(track.problem() == expected);

        flapping.restart();
        REQUIRE(loop.run_until([&] { return verdicts.size() >= 2; }, 5s));
        CHECK(verdicts.at(1).empty());
        CHECK(verdicts.size() == 2);
        track.stop();
        run_for(loop.get(), 50ms);
        CHECK(verdicts.size() == 2);  // no verdict after stop()
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("a track target that is not tcp://ADDRESS:PORT is refused", "[component][peer]") {
    TestLoop loop;
    {
        LoopScheduler scheduler(loop.get());
        const auto created = peer::TrackTargets::create(loop.get(), scheduler,
                                                        {"10.0.0.50:27017"}, 20ms, nullptr);
        REQUIRE_FALSE(created.ok());
        CHECK(created.error() ==
              R"(peer.track: expected "tcp://ADDRESS:PORT", got "10.0.0.50:27017")");
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
