// The Forwarder on real loopback connections, driven as a session drives it (raw fds in a
// ReadinessSet, pumped on every edge): a client peer and a site peer on the far ends of the
// session's two sockets. Every case runs for the copy and the splice strategy.
#include "lb/proxy/forwarder.h"

#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <source_location>

#include "lb/proxy/buffer_pool.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/readiness_set.h"
#include "tests/component/proxy/loopback.h"
#include "tests/support/loop_runner.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

const char* to_string(ForwardingStrategy strategy) {
    return strategy == ForwardingStrategy::Copy ? "copy" : "splice";
}

class ForwardRecorder final : public ForwarderEvents {
public:
    int progress = 0;
    int finished = 0;
    int failures = 0;
    std::optional<ForwardFailure> failure;

private:
    void on_forward_progress() noexcept override { ++progress; }
    void on_forward_finished() noexcept override { ++finished; }
    void on_forward_failed(ForwardFailure f) noexcept override {
        ++failures;
        failure = f;
    }
};

// A session's two sockets, the forwarder between them and the peers on their far ends, watched
// the way ProxySession watches them.
class TwoWay final : private ReadinessWatcher {
public:
    TwoWay(uv_loop_t* loop, ForwardingStrategy strategy, int buffer_bytes = 0)
        : TwoWay(loop, strategy, loopback_pair(buffer_bytes), loopback_pair(buffer_bytes)) {}

    // Registers both sockets: from here on every edge pumps the forwarder.
    [[nodiscard]] bool start() {
        return readiness_.add(client_fd_.get(), *this, 0, client_key_) == 0 &&
               readiness_.add(site_fd_.get(), *this, 1, site_key_) == 0;
    }
    Forwarder& forwarder() { return forwarder_; }
    // Runs the loop, both peers sending and reading what they can, until `done` holds.
    [[nodiscard]] bool run_until(TestLoop& loop, const std::function<bool()>& done,
                                 std::chrono::milliseconds timeout,
                                 std::source_location where = std::source_location::current()) {
        return loop.run_until(
            [&] {
                client.poll();
                site.poll();
                return done();
            },
            timeout, where);
    }
    [[nodiscard]] bool run_until_peers_see_eof(TestLoop& loop) {
        return run_until(
            loop, [&] { return client.saw_eof() && site.saw_eof(); }, 5s);
    }
    void stop_and_close() {
        forwarder_.stop();
        readiness_.remove(client_key_);
        readiness_.remove(site_key_);
        client_fd_ = Fd();
        site_fd_ = Fd();
        readiness_.stop();
    }

    ForwardRecorder events;
    BufferPool buffers;
    KernelPipePool pipes;
    PeerSocket client;
    PeerSocket site;

private:
    TwoWay(uv_loop_t* loop, ForwardingStrategy strategy, LoopbackPair client_pair,
           LoopbackPair site_pair)
        : client(std::move(client_pair.far)),
          site(std::move(site_pair.far)),
          client_fd_(std::move(client_pair.near)),
          site_fd_(std::move(site_pair.near)),
          forwarder_(events, strategy, ForwardingPools{buffers, pipes}, client_fd_.get(),
                     site_fd_.get()) {
        ignore_sigpipe();
        REQUIRE(readiness_.start(loop) == 0);
    }

    void on_ready(int tag, std::uint32_t ready) noexcept override {
        (tag == 0 ? client_ready_ : site_ready_).note(ready);
        if (forwarder_.pump(client_ready_, site_ready_)) readiness_.defer(client_key_);
    }

    ReadinessSet readiness_;
    Fd client_fd_;
    Fd site_fd_;
    Readiness client_ready_;
    Readiness site_ready_;
    ReadinessSet::Key client_key_;
    ReadinessSet::Key site_key_;
    Forwarder forwarder_;
};

TEST_CASE("forwarder: bytes cross both ways at once, intact, and both FINs end it",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    TestLoop loop;
    TwoWay io(loop.get(), strategy);

    const std::string request = test_bytes(3U << 20, 11);
    const std::string response = test_bytes(2U << 20, 12);
    io.client.queue(request);
    io.client.shutdown_after_sent();
    io.site.queue(response);
    io.site.shutdown_after_sent();
    REQUIRE(io.start());
    REQUIRE(io.run_until(
        loop, [&] { return io.events.finished > 0; }, 20s));

    CHECK((io.site.received() == request));
    CHECK((io.client.received() == response));
    CHECK(io.forwarder().bytes_to_site() == request.size());
    CHECK(io.forwarder().bytes_to_client() == response.size());
    CHECK(io.events.finished == 1);
    CHECK(io.events.progress > 0);
    CHECK(io.events.failures == 0);
    CHECK(io.buffers.in_use() == 0);
    // The last FIN may be the owner's (closing the sockets sends it) or a shutdown(2) of the
    // forwarder's, when both FINs arrived before either shutdown completed: either way both
    // peers see theirs once the owner has closed.
    io.stop_and_close();
    CHECK(io.run_until_peers_see_eof(loop));
    CHECK(loop.close() == 0);
}

TEST_CASE("forwarder: a FIN is passed on as a half-close while the other direction goes on",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    TestLoop loop;
    TwoWay io(loop.get(), strategy);
    REQUIRE(io.start());

    io.client.queue("GET /\r\n");
    io.client.shutdown_after_sent();
    REQUIRE(io.run_until(
        loop, [&] { return io.site.saw_eof(); }, 5s));
    CHECK(io.site.received() == "GET /\r\n");
    CHECK(io.events.finished == 0);  // one direction only
    CHECK_FALSE(io.client.saw_eof());

    // The site answers after the client's FIN: the answer still reaches the client.
    const std::string response = test_bytes(1U << 20, 13);
    io.site.queue(response);
    io.site.shutdown_after_sent();
    REQUIRE(io.run_until(
        loop,
        [&] { return io.events.finished > 0 && io.client.received().size() == response.size(); },
        10s));
    CHECK((io.client.received() == response));
    CHECK(io.events.finished == 1);
    CHECK(io.events.failures == 0);

    io.stop_and_close();
    CHECK(io.run_until_peers_see_eof(loop));
    CHECK(loop.close() == 0);
}

TEST_CASE("forwarder: a reset is reported once, as a failure of the side that reset",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    const auto side = GENERATE(Side::Client, Side::Site);
    INFO("strategy " << to_string(strategy) << ", " << (side == Side::Client ? "client" : "site")
                     << " resets");
    TestLoop loop;
    TwoWay io(loop.get(), strategy);
    REQUIRE(io.start());

    // Some traffic first, so the reset comes mid-connection.
    io.client.queue("ping");
    io.site.queue("pong");
    REQUIRE(io.run_until(
        loop, [&] { return io.site.received() == "ping" && io.client.received() == "pong"; }, 5s));

    (side == Side::Client ? io.client : io.site).reset();
    REQUIRE(loop.run_until([&] { return io.events.failure.has_value(); }, 5s));
    CHECK(io.events.failure->side == side);
    INFO("status " << io.events.failure->status);
    CHECK(io.events.failure->status == UV_ECONNRESET);
    run_driving(
        loop.get(), [] {}, 50ms);
    CHECK(io.events.failures == 1);  // the end: nothing more is reported
    CHECK(io.events.finished == 0);

    io.stop_and_close();
    CHECK(loop.close() == 0);
}

TEST_CASE("forwarder: a source's last bytes and its reset in one edge are a reset, not a FIN",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    TestLoop loop;
    TwoWay io(loop.get(), strategy);
    REQUIRE(io.start());
    io.client.queue("last bytes");
    io.client.poll();
    io.client.reset();
    REQUIRE(loop.run_until(
        [&] {
            io.site.poll();
            return io.events.failure.has_value() || io.events.finished > 0;
        },
        5s));
    REQUIRE(io.events.failure.has_value());
    CHECK(io.events.failure->side == Side::Client);
    CHECK(io.events.failure->status == UV_ECONNRESET);
    CHECK_FALSE(io.site.saw_eof());  // no FIN was passed on

    io.stop_and_close();
    CHECK(loop.close() == 0);
    CHECK(io.buffers.in_use() == 0);
}

TEST_CASE("forwarder: urgent data before a FIN: every byte after the mark still arrives",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    TestLoop loop;
    TwoWay io(loop.get(), strategy);
    // Before anything is read: bytes, an urgent byte, bytes and the FIN wait together, so one
    // edge announces the FIN and a read stops short at the urgent mark.
    REQUIRE(::send(io.client.fd(), "abc", 3, 0) == 3);
    REQUIRE(::send(io.client.fd(), "!", 1, MSG_OOB) == 1);
    REQUIRE(::send(io.client.fd(), "def", 3, 0) == 3);
    REQUIRE(::shutdown(io.client.fd(), SHUT_WR) == 0);
    REQUIRE(io.start());
    REQUIRE(loop.run_until(
        [&] {
            io.site.poll();
            return io.site.saw_eof() || io.events.failure.has_value();
        },
        5s));
    // Out-of-band data is not forwarded (an L4 proxy carries the stream); the stream is whole.
    CHECK(io.site.received() == "abcdef");
    CHECK_FALSE(io.events.failure.has_value());

    io.stop_and_close();
    CHECK(loop.close() == 0);
}

TEST_CASE("forwarder: a sink that reset is found by the next write, as its side's failure",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    TestLoop loop;
    TwoWay io(loop.get(), strategy);
    REQUIRE(io.start());
    io.site.reset();
    // Learnt by writing (or by the hang-up edge): keep feeding until something fails.
    io.client.queue(test_bytes(1U << 20, 2));
    REQUIRE(loop.run_until(
        [&] {
            io.client.poll();
            return io.events.failure.has_value();
        },
        5s));
    CHECK(io.events.failure->side == Side::Site);
    INFO("status " << io.events.failure->status);
    CHECK((io.events.failure->status == UV_ECONNRESET || io.events.failure->status == UV_EPIPE));
    CHECK(io.events.finished == 0);

    io.stop_and_close();
    CHECK(loop.close() == 0);
    CHECK(io.buffers.in_use() == 0);
}

TEST_CASE("forwarder: the splice strategy copies small messages and splices bulk",
          "[component][proxy]") {
    TestLoop loop;
    TwoWay io(loop.get(), ForwardingStrategy::Splice);
    REQUIRE(io.start());
    // A request and a reply of a few hundred bytes: buffers, no pipe.
    io.client.queue(std::string(300, 'q'));
    io.site.queue(std::string(200, 'r'));
    REQUIRE(io.run_until(
        loop,
        [&] { return io.site.received().size() == 300 && io.client.received().size() == 200; },
        5s));
    CHECK(io.pipes.leases() == 0);
    CHECK(io.buffers.leases() >= 2);
    CHECK(io.buffers.in_use() == 0);  // back once sent

    // A download of 4 MiB: after the first large read, pipes carry it.
    const std::uint64_t buffers_before = io.buffers.leases();
    const std::string download = test_bytes(4U << 20, 21);
    io.site.queue(download);
    REQUIRE(io.run_until(
        loop, [&] { return io.client.received().size() == 200 + download.size(); }, 20s));
    CHECK((io.client.received().substr(200) == download));
    CHECK(io.pipes.leases() > 0);
    INFO("buffer leases during the download " << io.buffers.leases() - buffers_before
                                              << ", pipe leases " << io.pipes.leases());
    CHECK(io.pipes.leases() > io.buffers.leases() - buffers_before);

    io.stop_and_close();
    CHECK(loop.close() == 0);
}

TEST_CASE("forwarder: while the site does not read, the client is not read, buffering is bounded",
          "[component][proxy]") {
    const auto strategy = GENERATE(ForwardingStrategy::Copy, ForwardingStrategy::Splice);
    INFO("strategy " << to_string(strategy));
    constexpr int kSocketBuffer = 64 * 1024;  // fixed, so the kernel holds a known amount
    TestLoop loop;
    TwoWay io(loop.get(), strategy, kSocketBuffer);

    const std::string request = test_bytes(8U << 20, 14);
    io.client.queue(request);
    io.client.shutdown_after_sent();
    REQUIRE(io.start());

    const auto client_writes = [&] { io.client.poll(/*read=*/false); };
    REQUIRE(run_until_stalled(
        loop.get(), client_writes,
        [&] { return io.client.sent() + io.forwarder().bytes_to_site(); }, 100ms, 10s));
    CHECK(io.client.send_blocked());
    if (strategy == ForwardingStrategy::Copy) CHECK(io.buffers.in_use() == 1);
    // Four socket buffers (the kernel doubles SO_SNDBUF/SO_RCVBUF) plus one block or one pipe.
    const std::uint64_t bound = 4 * 2 * kSocketBuffer + kPipeCapacity;
    CHECK(io.client.sent() <= bound);
    const std::uint64_t moved = io.forwarder().bytes_to_site();
    run_driving(loop.get(), client_writes, 200ms);
    CHECK(io.forwarder().bytes_to_site() == moved);  // the client stays unread

    // The site reads again: the rest follows, intact.
    REQUIRE(loop.run_until(
        [&] {
            io.client.poll(/*read=*/false);
            io.site.poll();
            return io.site.saw_eof();
        },
        30s));
    CHECK((io.site.received() == request));
    CHECK(io.forwarder().bytes_to_site() == request.size());
    CHECK(io.buffers.in_use() == 0);
    CHECK(io.events.failures == 0);

    io.stop_and_close();
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
