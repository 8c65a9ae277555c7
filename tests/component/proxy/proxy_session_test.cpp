// ProxySession's timeouts on manual time: real loopback sockets and a real loop for the I/O,
// a ManualScheduler for the connect and idle timers, so a timeout fires exactly when the test
// advances time past it and never before, and no test waits for one.
#include "lb/proxy/proxy_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <vector>

#include "lb/proxy/listener.h"
#include "lb/proxy/traffic_counters.h"
#include "tests/component/proxy/loopback.h"
#include "tests/support/loop_runner.h"
#include "tests/support/manual_scheduler.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

constexpr Duration kConnectTimeout = 3s;
constexpr Duration kIdleTimeout = 60s;

// What a session's last callback left behind.
struct Ended {
    Termination termination;
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
    std::optional<std::uint64_t> connect_ms;
};

// A worker in miniature: one listener on 127.0.0.1, a session table, pools, and time that moves
// only in advance(). Sessions go to `site_port` on 127.0.0.1, with no retry.
class SessionBench final : public SessionHost, public ListenerEvents {
public:
    SessionBench(uv_loop_t* loop, std::uint16_t site_port, bool splice) : loop_(loop) {
        ignore_sigpipe();
        Fd listen_fd = listen_tcp("127.0.0.1", 0, 16);
        port_ = local_port(listen_fd.get());
        settings_ = make_proxy_settings(make_config(site_port, port_, splice), traffic_.sink(0));
        REQUIRE(readiness_.start(loop_) == 0);
        listener_ = std::make_unique<Listener>(*this, 0, "front", settings_->routes[0].bind);
        REQUIRE(listener_->start(loop_, listen_fd.release()) == 0);
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::size_t open_sessions() const { return sessions_.size(); }
    // The one session, open or already closed.
    [[nodiscard]] ProxySession& session() {
        REQUIRE(sessions_.size() + closed_.size() == 1);
        return sessions_.empty() ? *closed_.front() : *sessions_.begin()->second;
    }
    void stop_listening() {
        listener_->close();
        readiness_.stop();
    }

    ManualScheduler time;
    std::vector<Ended> ended;
    std::vector<Termination> connect_failures;
    std::vector<std::size_t> connected_sites;  // on_connected, in order

private:
    static config::Config make_config(std::uint16_t site_port, std::uint16_t listen_port,
                                      bool splice) {
        const auto loopback = SocketAddress::parse_ip("127.0.0.1");
        REQUIRE(loopback.has_value());
        config::Config cfg;
        cfg.global.splice = splice;
        cfg.global.log_format = config::LogFormat::None;
        cfg.timeouts.connect = kConnectTimeout;
        cfg.timeouts.idle = kIdleTimeout;
        cfg.policy.retry_on_standby = false;
        for (const char* name : {"primary", "standby"}) {
            config::Site site;
            site.name = name;
            site.address = *loopback;
            site.role = cfg.sites.empty() ? config::SiteRole::Primary : config::SiteRole::Standby;
            cfg.sites.push_back(site);
        }
        config::Listener listener;
        listener.name = "front";
        listener.bind = loopback->with_port(listen_port);
        listener.target_port = site_port;
        cfg.listeners.push_back(listener);
        return cfg;
    }

    ReadinessSet& readiness() noexcept override { return readiness_; }
    Scheduler& scheduler() noexcept override { return time; }
    BufferPool& buffers() noexcept override { return buffers_; }
    KernelPipePool& pipes() noexcept override { return pipes_; }
    void on_connect_failed(std::size_t, const Termination& why) noexcept override {
        connect_failures.push_back(why);
    }
    void on_connected(std::size_t site) noexcept override { connected_sites.push_back(site); }
    void on_session_closed(ProxySession& session) noexcept override {
        ended.push_back(Ended{session.termination(), session.bytes_to_site(),
                              session.bytes_to_client(), session.connect_ms()});
        // Not destroyed here: the session may be deep in its own callback (as in the worker).
        auto it = sessions_.find(session.id());
        closed_.push_back(std::move(it->second));
        sessions_.erase(it);
    }
    void on_client_accepted(std::size_t listener_index, int fd) noexcept override {
        const std::uint64_t id = next_id_++;
        auto session = std::make_unique<ProxySession>(*this, id, settings_, listener_index);
        if (session->adopt_client(fd) != 0) return;
        ProxySession& ref = *session;
        sessions_.emplace(id, std::move(session));
        ref.start(SiteSnapshot{.active = 0, .retry_eligible = 0b01});
    }
    void on_accept_error(std::size_t, int) noexcept override {}

    uv_loop_t* loop_;
    TrafficCounters traffic_;
    std::shared_ptr<const ProxySettings> settings_;
    BufferPool buffers_;
    KernelPipePool pipes_;
    ReadinessSet readiness_;
    std::vector<std::unique_ptr<ProxySession>> closed_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Listener> listener_;
    std::map<std::uint64_t, std::unique_ptr<ProxySession>> sessions_;
    std::uint64_t next_id_ = 1;
};

// A client connected through the bench to a site the test accepts itself.
struct Connected {
    PeerSocket client;
    PeerSocket site;
};

Connected connect_through(TestLoop& loop, SessionBench& bench, const Fd& site_listener) {
    Fd client = connect_tcp("127.0.0.1", bench.port(), deadline_in(5s));
    REQUIRE(client.valid());
    Fd site;
    REQUIRE(loop.run_until(
        [&] {
            if (!site.valid())
                site.reset(
                    ::accept4(site_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            return site.valid() && bench.open_sessions() == 1 &&
                   bench.session().connect_ms().has_value();
        },
        5s));
    return Connected{PeerSocket(std::move(client)), PeerSocket(std::move(site))};
}

bool both_closed(Connected& peers) {
    return is_closed_within(peers.client.fd(), deadline_in(5s)) &&
           is_closed_within(peers.site.fd(), deadline_in(5s));
}

TEST_CASE("session: the connect timeout fires when time reaches it, and not before",
          "[component][proxy]") {
    TestLoop loop;
    {
        Blackhole blackhole("127.0.0.1");  // SYNs dropped: the connect hangs
        REQUIRE(blackhole.full());
        SessionBench bench(loop.get(), blackhole.port(), /*splice=*/true);
        Fd client = connect_tcp("127.0.0.1", bench.port(), deadline_in(5s));
        REQUIRE(client.valid());
        REQUIRE(loop.run_until([&] { return bench.open_sessions() == 1; }, 5s));
        CHECK(bench.session().site() == std::optional<std::size_t>(0));
        CHECK(bench.time.armed_count() == 1);

        bench.time.advance(kConnectTimeout - 1ms);
        run_for(loop.get(), 50ms);  // real I/O may run: nothing answers the SYN
        CHECK_FALSE(bench.session().closing());
        CHECK(bench.connect_failures.empty());

        bench.time.advance(1ms);
        REQUIRE(bench.connect_failures.size() == 1);
        CHECK(bench.connect_failures[0].cause == Termination::Cause::ConnectTimeout);
        REQUIRE(loop.run_until([&] { return !bench.ended.empty(); }, 5s));
        const Termination& why = bench.ended[0].termination;
        CHECK(why.cause == Termination::Cause::ConnectTimeout);
        CHECK(why.phase == Termination::Phase::Connect);
        CHECK(tcplog_code(why) == "sC");
        CHECK_FALSE(bench.ended[0].connect_ms.has_value());
        CHECK(bench.connected_sites.empty());  // passive health: no success to count
        CHECK(bench.open_sessions() == 0);
        CHECK(is_closed_within(client.get(), deadline_in(5s)));
        bench.stop_listening();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("session: an idle session is closed when time reaches the idle timeout",
          "[component][proxy]") {
    const bool splice = GENERATE(true, false);
    INFO((splice ? "splice" : "copy"));
    TestLoop loop;
    {
        Fd site_listener = listen_tcp("127.0.0.1", 0, 16);
        SessionBench bench(loop.get(), local_port(site_listener.get()), splice);
        Connected peers = connect_through(loop, bench, site_listener);
        CHECK(bench.time.armed_count() == 1);  // the idle timer replaced the connect timer
        // Passive health hears of the connect that succeeded, once.
        CHECK(bench.connected_sites == std::vector<std::size_t>{0});

        bench.time.advance(kIdleTimeout - 1ms);
        CHECK_FALSE(bench.session().closing());
        bench.time.advance(1ms);
        CHECK(bench.session().closing());
        REQUIRE(loop.run_until([&] { return !bench.ended.empty(); }, 5s));
        const Termination& why = bench.ended[0].termination;
        CHECK(why.cause == Termination::Cause::IdleTimeout);
        CHECK(tcplog_code(why) == "cD");
        CHECK(bench.connect_failures.empty());
        CHECK(both_closed(peers));
        bench.stop_listening();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("session: bytes either way restart the idle timeout", "[component][proxy]") {
    const bool splice = GENERATE(true, false);
    INFO((splice ? "splice" : "copy"));
    TestLoop loop;
    {
        Fd site_listener = listen_tcp("127.0.0.1", 0, 16);
        SessionBench bench(loop.get(), local_port(site_listener.get()), splice);
        Connected peers = connect_through(loop, bench, site_listener);

        // Half-way through the idle time the client speaks...
        bench.time.advance(kIdleTimeout / 2);
        peers.client.queue("ping");
        REQUIRE(loop.run_until(
            [&] {
                peers.client.poll();
                peers.site.poll();
                return peers.site.received() == "ping";
            },
            5s));
        // ...so the first deadline passes without closing.
        bench.time.advance(kIdleTimeout / 2);
        CHECK_FALSE(bench.session().closing());

        // Now the site speaks: quiet time starts again from here.
        peers.site.queue("pong");
        REQUIRE(loop.run_until(
            [&] {
                peers.client.poll();
                peers.site.poll();
                return peers.client.received() == "pong";
            },
            5s));
        bench.time.advance(kIdleTimeout - 1ms);
        CHECK_FALSE(bench.session().closing());
        bench.time.advance(1ms);
        CHECK(bench.session().closing());

        REQUIRE(loop.run_until([&] { return !bench.ended.empty(); }, 5s));
        CHECK(bench.ended[0].termination.cause == Termination::Cause::IdleTimeout);
        CHECK(bench.ended[0].bytes_to_site == 4);
        CHECK(bench.ended[0].bytes_to_client == 4);
        CHECK(both_closed(peers));
        bench.stop_listening();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("session: both FINs end it normally, with its bytes counted", "[component][proxy]") {
    const bool splice = GENERATE(true, false);
    INFO((splice ? "splice" : "copy"));
    TestLoop loop;
    {
        Fd site_listener = listen_tcp("127.0.0.1", 0, 16);
        SessionBench bench(loop.get(), local_port(site_listener.get()), splice);
        Connected peers = connect_through(loop, bench, site_listener);

        const std::string request = test_bytes(300U << 10, 21);
        const std::string response = test_bytes(700U << 10, 22);
        peers.client.queue(request);
        peers.client.shutdown_after_sent();
        peers.site.queue(response);
        peers.site.shutdown_after_sent();
        REQUIRE(loop.run_until(
            [&] {
                peers.client.poll();
                peers.site.poll();
                return !bench.ended.empty() && peers.client.saw_eof() && peers.site.saw_eof();
            },
            10s));
        CHECK((peers.site.received() == request));
        CHECK((peers.client.received() == response));
        CHECK(bench.ended[0].termination.cause == Termination::Cause::Normal);
        CHECK(tcplog_code(bench.ended[0].termination) == "--");
        CHECK(bench.ended[0].bytes_to_site == request.size());
        CHECK(bench.ended[0].bytes_to_client == response.size());
        CHECK(bench.time.armed_count() == 0);
        bench.stop_listening();
    }
    CHECK(loop.close() == 0);
}

// True if a connection waits on `listener`'s accept queue within `wait` (real time).
bool acceptable_within(const Fd& listener, std::chrono::milliseconds wait) {
    pollfd p{.fd = listener.get(), .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
}

TEST_CASE("session: a site that speaks first sees the connection at once, before any client byte",
          "[component][proxy]") {
    // The session holds the handshake's last ACK back to send it with the first bytes; with no
    // byte to send it must push the ACK alone, or the site's kernel keeps the connection from
    // its accept() until the delayed-ACK timer (200 ms) and a site that speaks first stalls.
    constexpr auto kHeldLonger = 100ms;     // the kernel holds it 200 ms: wide margin
    constexpr auto kWellUnder200ms = 150ms;
    TestLoop loop;
    {
        // The kernel's side of it, so this test can fail: a connect with the ACK held back and
        // nothing sent is not acceptable for a long while; and the hold is for the handshake's
        // ACK only (once established, the socket is back in quick-ACK mode).
        Fd plain_listener = listen_tcp("127.0.0.1", 0, 16);
        Fd held(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        const int off = 0;
        REQUIRE(::setsockopt(held.get(), IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off) == 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(local_port(plain_listener.get()));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)::connect(held.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
        pollfd out{.fd = held.get(), .events = POLLOUT, .revents = 0};
        REQUIRE(::poll(&out, 1, 2000) == 1);  // established on our side
        CHECK_FALSE(acceptable_within(plain_listener, kHeldLonger));
        int quick = 0;
        socklen_t length = sizeof quick;
        REQUIRE(::getsockopt(held.get(), IPPROTO_TCP, TCP_QUICKACK, &quick, &length) == 0);
        CHECK(quick == 1);

        Fd site_listener = listen_tcp("127.0.0.1", 0, 16);
        SessionBench bench(loop.get(), local_port(site_listener.get()), /*splice=*/true);
        PeerSocket client(connect_tcp("127.0.0.1", bench.port(), deadline_in(5s)));
        REQUIRE(loop.run_until([&] { return !bench.connected_sites.empty(); }, 5s));
        REQUIRE(acceptable_within(site_listener, kWellUnder200ms));
        PeerSocket site(
            Fd(::accept4(site_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)));
        REQUIRE(site.fd() >= 0);
        site.queue("220 site ready\r\n");
        REQUIRE(loop.run_until(
            [&] {
                site.poll();
                client.poll();
                return client.received() == "220 site ready\r\n";
            },
            5s));
        bench.stop_listening();
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
