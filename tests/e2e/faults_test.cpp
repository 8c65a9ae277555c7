// Sites that misbehave and clients that flood, end to end: what lb must survive without help.
// Related faults tested elsewhere: a site reset after the request (reset_test.cpp: "a site reset
// reaches the client as a reset, logged SD"; here the reset cuts a reply short), running out of
// file descriptors at accept (limits_test.cpp: "out of file descriptors: ..."), the refused and
// the unanswered connect (limits_test.cpp), the state file's disk and SIGKILL
// (faults_state_test.cpp), the wall clock (faults_clock_test.cpp).
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/ops_fixture.h"

namespace lb::test {
namespace {

using ops::admin_json;
using ops::fetch_http;

// Waits on the server's stop eventfd and on `fd` closing, reading nothing: a site that has
// accepted a connection and then never reads it. Bounded: 60 s at most.
void hold_without_reading(ServerConnection& connection) {
    const Deadline deadline = deadline_in(60s);
    while (!expired(deadline)) {
        pollfd fds[2] = {{connection.stop_fd(), POLLIN, 0}, {connection.fd(), POLLRDHUP, 0}};
        if (::poll(fds, 2, 100) < 0 && errno != EINTR) break;
        if (fds[0].revents != 0 || (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) break;
    }
}

// The client's first byte picks what the site does: 'S' stalls (never reads again), 'E' echoes
// the rest. Health checks (connect, close) end at once.
BackendServer::Handler stall_or_echo() {
    return [echo = echo_handler()](ServerConnection& connection) {
        std::string mode;
        const IoStatus status =
            recv_exact(connection.fd(), 1, mode, deadline_in(10s), connection.stop_fd());
        if (status != IoStatus::Ok) {
            connection.record.end = status;
            connection.publish();
            return;
        }
        if (mode == "S") {
            connection.record.received = 1;
            connection.publish();
            hold_without_reading(connection);
            return;
        }
        echo(connection);
    };
}

struct Fill {
    std::uint64_t sent = 0;
    bool stalled = false;  // a send waited `stall` without room for one more byte
};

// Sends until the kernel refuses more for `stall` (the path to the site is full), at most `cap`
// bytes and until `deadline`.
Fill fill_until_stalled(int fd, std::uint64_t cap, std::chrono::milliseconds stall,
                        Deadline deadline) {
    Fill out;
    const std::string chunk(64 * 1024, 'f');
    while (out.sent < cap && !expired(deadline)) {
        const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            out.sent += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
        pollfd pfd{fd, POLLOUT, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(stall.count()));
        if (ready == 0) {
            out.stalled = true;
            break;
        }
    }
    return out;
}

TEST_CASE(
    "a site that accepts and never reads: the client stalls, lb's memory stays bounded, "
    "other sessions flow, and the idle timeout ends it",
    "[e2e][faults][stalled-site]") {
    BackendServer site(kSiteA, 0, stall_or_echo());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.idle_timeout = "3s";
    auto lb = start_lb(config);
    {
        Fd warm = connect_front(front);  // the buffer pool and the log have started
        REQUIRE(send_all(warm.get(), "E", deadline_in(5s)) == IoStatus::Ok);
        REQUIRE(echo_once(warm.get(), "warm"));
    }
    const auto rss_before = lb->rss_kib();
    REQUIRE(rss_before);

    Fd stuck = connect_front(front);
    const std::uint16_t stuck_port = local_port(stuck.get());
    REQUIRE(send_all(stuck.get(), "S", deadline_in(5s)) == IoStatus::Ok);
    constexpr std::uint64_t kCap = 256 * kMiB;
    const Fill fill = fill_until_stalled(stuck.get(), kCap, 500ms, deadline_in(30s));
    const auto rss_stalled = lb->rss_kib();
    REQUIRE(rss_stalled);
    INFO("the client sent " << fill.sent << " bytes before stalling; lb's RSS went from "
                            << *rss_before << " KiB to " << *rss_stalled << " KiB");
    // Only the sockets' buffers (kernel memory) hold what was sent: lb stopped reading the client.
    CHECK(fill.stalled);
    CHECK(fill.sent < 64 * kMiB);
    CHECK(*rss_stalled - *rss_before < 16 * 1024);

    // Meanwhile other sessions to the same site carry their bytes both ways.
    std::vector<std::thread> others;
    std::atomic<int> intact{0};
    for (int i = 0; i < 8; ++i)
        others.emplace_back([&, i] {
            Fd fd = connect_tcp(front.ip, front.port, deadline_in(3s));
            if (!fd || send_all(fd.get(), "E", deadline_in(3s)) != IoStatus::Ok) return;
            const Payload payload = Payload::random(256 * 1024, 100 + static_cast<unsigned>(i));
            const Duplex d = duplex(fd.get(), payload, true, deadline_in(10s));
            if (d.status == IoStatus::Eof && d.received == payload.size() &&
                d.received_checksum == payload.checksum())
                ++intact;
        });
    for (std::thread& t : others) t.join();
    CHECK(intact.load() == 8);
    CHECK_FALSE(peer_closed_now(stuck.get()));  // well within the idle timeout

    // No byte moves on the stuck session: timeouts.idle closes it.
    const IoStatus end = wait_closed(stuck.get(), deadline_in(15s));
    INFO("stuck client: " << to_string(end));
    CHECK((end == IoStatus::Eof || end == IoStatus::Reset));
    const auto log = lb->wait_for_tcplog(stuck_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "cD");
    CHECK(log->bytes_to_site <= fill.sent + 1);  // the mode byte and what lb could write
    const auto rss_after = lb->rss_kib();
    REQUIRE(rss_after);
    CHECK(*rss_after - *rss_before < 16 * 1024);
}

// The site sends part of a long reply, then resets: the client sees the reset after the bytes
// that came before it, never a clean end it would take for the whole reply.
TEST_CASE("a site that resets mid-reply: the client gets the bytes before it, then a reset",
          "[e2e][faults][reset]") {
    constexpr std::size_t kBefore = 1 << 20;
    BackendServer site(kSiteA, 0, [](ServerConnection& connection) {
        std::string request;
        connection.record.end =
            recv_exact(connection.fd(), 4, request, deadline_in(10s), connection.stop_fd());
        if (connection.record.end != IoStatus::Ok) return connection.publish();
        connection.record.received = request.size();
        const std::string part(kBefore, 'r');
        connection.record.end =
            send_all(connection.fd(), part, deadline_in(10s), connection.stop_fd());
        connection.record.sent = part.size();
        connection.publish();
        set_reset_on_close(connection.fd());  // the Fd closes with a RST when the handler ends
    });
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    REQUIRE(send_all(client.get(), "GET!", deadline_in(5s)) == IoStatus::Ok);
    // Read until the end: a RST may discard bytes still queued for the client, so the count
    // is not asserted; the end is.
    const Received got = recv_until_eof(client.get(), deadline_in(10s));
    INFO("client got " << got.data.size() << " bytes, then " << to_string(got.status));
    CHECK(got.status == IoStatus::Reset);
    CHECK(got.data.size() <= kBefore);
    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "SD");
    CHECK(log->bytes_to_site == 4);
}

// Passive checks count failed connects, but whether the exact count or a failure ratio over a
// time window brings a site down is the passive checks' business: this asserts the outcome only.
TEST_CASE("a site whose checks pass but whose traffic port refuses: passive checks fail over",
          "[e2e][faults][passive]") {
    ops::Sites sites;      // echo servers for both sites on sites.port()
    sites.stop("site-a");  // site-a's traffic port refuses from now on
    // site-a's checks go to a port of their own, where something accepts.
    BackendServer site_a_checks(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = ops::ops_config(sites, front);
    config.sites[0].health_toml = "port = " + std::to_string(site_a_checks.port()) + "\n";
    LbWorkspace ws("lb-faults");
    ws.write_config(config);
    auto lb = start_lb(ws);
    ops::require_sites_up(ws.admin_socket());
    ops::require_active(ws.admin_socket(), "site-a");

    // A stream of clients; each one's connect to site-a is refused and counted.
    const Deadline deadline = deadline_in(30s);
    int attempts = 0;
    std::string served_by;
    // Bounded by time as much as by count: a refused connect costs lb well under 0.1 ms, and the
    // passive run must last passive_window.
    while (served_by.empty() && attempts < 50000 && !expired(deadline)) {
        const std::string greeting = "passive " + std::to_string(++attempts);
        Fd client = connect_tcp(front.ip, front.port, deadline_in(2s));
        if (!client) continue;
        if (send_all(client.get(), greeting, deadline_in(2s)) != IoStatus::Ok) continue;
        std::string echoed;
        if (recv_exact(client.get(), greeting.size(), echoed, deadline_in(1s)) == IoStatus::Ok &&
            echoed == greeting)
            served_by = sites.site_that_saw(greeting).value_or("?");
    }
    INFO(attempts << " clients; lb log:\n" << log_of(*lb));
    CHECK(served_by == "site-b");
    const json::Value status = admin_json(ws.admin_socket(), "show status json");
    CHECK(status["active_site"].string() == "site-b");
    CHECK(lb->count_log([](std::string_view line) {
        return line.find("failover: site-a -> site-b (reason health") != std::string_view::npos;
    }) == 1);
    // site-a's checks keep passing; failback is manual, so new clients stay on site-b.
    for (int i = 0; i < 5; ++i) CHECK(ops::route_of(front, sites) == "site-b");
}

// An HTTP check target that answers until muted; muted, it accepts and reads the request but
// never answers, and holds the connection until the checker gives up.
class MutableHealthServer {
public:
    MutableHealthServer()
        : server_(kSiteA, 0, [this](ServerConnection& connection) { serve(connection); }) {}
    [[nodiscard]] std::uint16_t port() const { return server_.port(); }
    void mute() { muted_ = true; }

private:
    void serve(ServerConnection& connection) {
        std::string request;
        char buffer[1024];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ReadResult r =
                recv_some(connection.fd(), buffer, deadline_in(5s), connection.stop_fd());
            if (r.status != IoStatus::Ok) return;
            request.append(buffer, r.bytes);
        }
        if (muted_) return hold_without_reading(connection);
        (void)send_all(connection.fd(),
                       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
                       deadline_in(5s), connection.stop_fd());
        (void)shutdown_write(connection.fd());
        (void)wait_closed(connection.fd(), deadline_in(5s));
    }

    std::atomic<bool> muted_{false};
    BackendServer server_;  // last: its threads stop before muted_ goes
};

TEST_CASE(
    "a site that accepts the HTTP check and never answers: down after fall timeouts, "
    "failover",
    "[e2e][faults][check-timeout][one-path]") {
    ops::Sites sites;
    MutableHealthServer site_a_checks;
    const Front front = free_front();
    LbConfig config = ops::ops_config(sites, front);
    config.health_interval = "300ms";
    config.health_timeout = "200ms";
    config.fall = 3;
    config.sites[0].health_toml =
        "kind = \"http\"\nport = " + std::to_string(site_a_checks.port()) +
        "\npath = \"/health\"\nhost = \"gateway\"\n";
    LbWorkspace ws("lb-faults");
    ws.write_config(config);
    auto lb = start_lb(ws);
    ops::require_sites_up(ws.admin_socket());
    ops::require_active(ws.admin_socket(), "site-a");

    const auto muted_at = SteadyClock::now();
    site_a_checks.mute();
    ops::require_active(ws.admin_socket(), "site-b", deadline_in(15s));
    const long long took = elapsed_ms(muted_at);
    INFO("failover " << took << " ms after the mute; lb log:\n" << log_of(*lb));
    // Three checks in a row must each wait out the 200 ms timeout.
    CHECK(took >= 3 * 200);
    const auto down = lb->wait_for_log(
        [](std::string_view line) {
            return line.find("site site-a is down") != std::string_view::npos;
        },
        deadline_in(5s));
    REQUIRE(down);
    CHECK(down->find("timeout") != std::string::npos);
    CHECK(lb->count_log([](std::string_view line) {
        return line.find("failover: site-a -> site-b (reason health") != std::string_view::npos;
    }) == 1);
}

TEST_CASE(
    "a connection flood past max_connections: memory bounded, admin and metrics answer, "
    "service resumes",
    "[e2e][faults][flood]") {
    constexpr int kLimit = 50;
    constexpr int kFlood = 3000;
    constexpr std::size_t kHeldAtOnce = 200;  // flood connections open at a time
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.max_connections = kLimit;
    config.metrics_port = free_port();
    LbWorkspace ws("lb-faults");
    ws.write_config(config);
    auto lb = start_lb(ws);

    std::vector<Fd> held;
    for (int i = 0; i < kLimit; ++i) {
        INFO("held connection " << i);
        held.push_back(connect_front(front));
        REQUIRE(echo_once(held.back().get(), "held"));
    }
    const auto rss_before = lb->rss_kib();
    REQUIRE(rss_before);

    // The flood goes on until the queries below are done, so they all run during it; bounded
    // in count and time.
    std::atomic<int> attempted{0};
    std::jthread flood([&](const std::stop_token& queries_done) {
        const Deadline until = deadline_in(90s);
        std::deque<Fd> open;
        while (attempted < 20 * kFlood && !expired(until) &&
               (attempted < kFlood || !queries_done.stop_requested())) {
            ConnectAttempt attempt = try_connect(front.ip, front.port, deadline_in(2s));
            ++attempted;
            if (attempt.fd) open.push_back(std::move(attempt.fd));
            if (open.size() > kHeldAtOnce) open.pop_front();
        }
    });
    REQUIRE(wait_until([&] { return attempted >= 100; }, deadline_in(10s)));
    int admin_answers = 0;
    int metrics_answers = 0;
    for (int i = 0; i < 10; ++i) {
        ops::AdminClient client(ws.admin_socket());
        if (client.connected())
            if (const auto reply = client.command("show status", deadline_in(5s));
                reply && !reply->empty() && !ops::is_error(*reply))
                ++admin_answers;
        if (const auto reply = fetch_http(config.metrics_port, "/metrics");
            reply && reply->status == 200)
            ++metrics_answers;
    }
    const int during = attempted;
    flood.request_stop();
    flood.join();
    const auto rss_flood = lb->rss_kib();
    REQUIRE(rss_flood);
    INFO(attempted.load() << " flood connects, " << during << " when the queries were done; "
                          << admin_answers << " admin and " << metrics_answers
                          << " metrics answers out of 10 during the flood; RSS " << *rss_before
                          << " KiB before, " << *rss_flood << " KiB after");
    CHECK(attempted.load() >= kFlood);
    CHECK(admin_answers == 10);
    CHECK(metrics_answers == 10);
    CHECK(*rss_flood - *rss_before < 32 * 1024);
    // The flood was turned away at the limit.
    const double limited = ops::metric_sum(ops::scrape(config.metrics_port),
                                           "lb_connection_errors_total", {{"reason", "limit"}});
    CHECK(limited >= kFlood / 2);

    // The held sessions still work; a freed slot serves a new client.
    for (std::size_t i = 0; i < held.size(); ++i) {
        INFO("held connection " << i << " after the flood");
        CHECK(echo_once(held[i].get(), "still here"));
    }
    const std::uint16_t freed_port = local_port(held.front().get());
    held.front().reset();
    REQUIRE(lb->wait_for_tcplog(freed_port, deadline_in(5s)));
    Fd next;
    REQUIRE(wait_until(
        [&] {
            next = connect_tcp(front.ip, front.port, deadline_in(2s));
            return next && echo_once(next.get(), "after the flood", deadline_in(2s));
        },
        deadline_in(10s), 50ms));
}

}  // namespace
}  // namespace lb::test
