// End-to-end tests of lb's limits and failure paths on loopback: refused and timed-out connects,
// idle timeout, max_connections, SIGTERM with open sessions, running out of file descriptors (for
// sessions, and for the splice path's kernel pipes).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace lb::test {
namespace {

TEST_CASE("a refused connect to the site closes the client promptly, logged SC",
          "[e2e][limits][connect]") {
    const std::uint16_t closed_port = free_port(kSiteA);  // nothing listens there
    const Front front = free_front();
    LbConfig config = front_config(front, closed_port);
    config.connect_timeout = "3s";
    auto lb = start_lb(config);

    const Closure closure = connect_and_wait_closed(front, deadline_in(5s));
    INFO("client saw " << to_string(closure.how) << " after " << closure.after_ms << " ms");
    CHECK(closure.closed());
    // A refusal is immediate; the 3 s connect timeout must not be waited out.
    CHECK(closure.after_ms < 1000);

    const auto log = lb->wait_for_tcplog(closure.client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "SC");
    CHECK(log->tc_ms == -1);
    CHECK(log->site == "site-a");
    CHECK(log->bytes_to_client == 0);
    CHECK(log->bytes_to_site == 0);
    CHECK(log->retries == 0);  // retry_on_standby = false
}

TEST_CASE("a connect the site never answers is abandoned after timeouts.connect, logged sC",
          "[e2e][limits][connect]") {
    const Blackhole site(kSiteA);
    REQUIRE(site.full());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.connect_timeout = "500ms";
    auto lb = start_lb(config);

    const Closure closure = connect_and_wait_closed(front, deadline_in(5s));
    INFO("client saw " << to_string(closure.how) << " after " << closure.after_ms << " ms");
    CHECK(closure.closed());
    CHECK(closure.after_ms >= 450);
    CHECK(closure.after_ms < 3000);

    const auto log = lb->wait_for_tcplog(closure.client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "sC");
    CHECK(log->tc_ms == -1);
    CHECK(log->tt_ms >= 450);
}

TEST_CASE("an idle connection is closed after timeouts.idle, logged cD", "[e2e][limits][idle]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.idle_timeout = "300ms";
    auto lb = start_lb(config);

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    // The last activity happens after `start`, so lb's idle clock starts no earlier than ours.
    const auto start = SteadyClock::now();
    REQUIRE(echo_once(client.get(), "x"));
    const IoStatus closed = wait_closed(client.get(), deadline_in(3s));
    const long long took = elapsed_ms(start);
    INFO("client saw " << to_string(closed) << " after " << took << " ms");
    CHECK((closed == IoStatus::Eof || closed == IoStatus::Reset));
    CHECK(took >= 290);
    CHECK(took < 2000);

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "cD");
    CHECK(log->bytes_to_client == 1);
    CHECK(log->bytes_to_site == 1);
}

TEST_CASE("a connection trickling a byte every 100 ms outlives a 300 ms idle timeout",
          "[e2e][limits][idle]") {
    BackendServer site(kSiteA, 0, reply_handler(Payload::text("ok"), ReplyWhen::AfterEof));
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.idle_timeout = "300ms";
    auto lb = start_lb(config);

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    // Only the client sends: activity in one direction alone must keep the session alive.
    for (int i = 0; i < 10; ++i) {
        REQUIRE(send_all(client.get(), "t", deadline_in(1s)) == IoStatus::Ok);
        std::this_thread::sleep_for(100ms);  // the trickle itself, not a wait for a condition
        INFO("after byte " << i + 1);
        REQUIRE_FALSE(peer_closed_now(client.get()));
    }
    REQUIRE(shutdown_write(client.get()));
    const Received got = recv_until_eof(client.get(), deadline_in(5s));
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.data == "ok");
    const auto seen = site.wait_for_record([](const ConnectionRecord& r) { return r.received > 0; },
                                           deadline_in(5s));
    REQUIRE(seen);
    CHECK(seen->received == 10);
    client.reset();

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "--");
    CHECK(log->tt_ms >= 900);  // ten 100 ms pauses, from lb's accept (a little after ours)
}

TEST_CASE("max_connections: the connection over the limit is closed at once, logged PR",
          "[e2e][limits][max-connections]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.max_connections = 3;
    auto lb = start_lb(config);

    std::vector<Fd> held;
    for (int i = 0; i < 3; ++i) {
        INFO("held connection " << i);
        held.push_back(connect_front(front));
        REQUIRE(echo_once(held.back().get(), "held " + std::to_string(i)));
    }

    {
        // Closed at once: EOF, a reset, or a reset so quick that connect() itself reports it.
        const Closure extra = connect_and_wait_closed(front, deadline_in(3s));
        INFO("4th connection: " << to_string(extra.how) << " after " << extra.after_ms << " ms");
        CHECK(extra.closed());
        CHECK(extra.after_ms < 1000);
        const auto log = lb->wait_for_tcplog(extra.client_port, deadline_in(3s));
        INFO("lb log:\n" << log_of(*lb));
        REQUIRE(log);
        CHECK(log->term == "PR");
        CHECK(log->bytes_to_client == 0);
        CHECK(log->bytes_to_site == 0);
    }
    // The held ones still work.
    for (std::size_t i = 0; i < held.size(); ++i) {
        INFO("held connection " << i << " after the rejection");
        CHECK(echo_once(held[i].get(), "still here"));
    }

    // Freeing a slot lets a new connection through.
    const std::uint16_t freed_port = local_port(held.front().get());
    held.front().reset();
    REQUIRE(lb->wait_for_tcplog(freed_port, deadline_in(5s)));
    INFO("a new connection once a slot is free");
    Fd next = connect_front(front);
    INFO("lb log:\n" << log_of(*lb));
    CHECK(echo_once(next.get(), "a new one"));
}

TEST_CASE("SIGTERM with open sessions: lb exits 0 promptly and logs them KD",
          "[e2e][limits][signal]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.drain_timeout = "500ms";
    auto lb = start_lb(config);

    std::vector<Fd> open;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 3; ++i) {
        open.push_back(connect_front(front));
        ports.push_back(local_port(open.back().get()));
        REQUIRE(echo_once(open.back().get(), "open"));
    }
    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    INFO("lb log:\n" << log_of(*lb));
    INFO("exit after " << stopped.took_ms << " ms, code " << stopped.exit_code << ", signal "
                       << stopped.signal);
    CHECK(stopped.exited_in_time);
    CHECK(stopped.exited);
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.took_ms < 3000);  // drain is 500 ms
    for (const Fd& fd : open) CHECK(is_closed_within(fd.get(), deadline_in(1s)));
    const auto lines = lb->tcplog_lines();
    for (const std::uint16_t port : ports) {
        INFO("client port " << port);
        const auto it = std::find_if(lines.begin(), lines.end(),
                                     [port](const TcplogLine& l) { return l.client_port == port; });
        REQUIRE(it != lines.end());
        CHECK(it->term == "KD");
    }
}

TEST_CASE("SIGINT without sessions: lb exits 0 promptly", "[e2e][limits][signal]") {
    const Front front = free_front();
    auto lb = start_lb(front_config(front, free_port(kSiteA)));
    const StopResult stopped = lb->stop(SIGINT, deadline_in(10s));
    INFO("lb log:\n" << log_of(*lb));
    CHECK(stopped.exited_in_time);
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.took_ms < 2000);
}

TEST_CASE("out of file descriptors: lb neither spins nor wedges, and recovers",
          "[e2e][limits][emfile]") {
    constexpr int kFdLimit = 64;
    constexpr int kClients = 100;  // each session needs two fds: far more than lb has
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.max_connections = 10000;
    auto lb = start_lb(config, SpawnOptions{.nofile_limit = kFdLimit});

    const auto fds_idle = lb->open_fds();
    const auto pipes_idle = open_pipes(lb->pid());
    REQUIRE(fds_idle);
    REQUIRE(pipes_idle);
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connect_front(front));
    const auto ticks_before = lb->cpu_ticks();
    REQUIRE(ticks_before);
    std::this_thread::sleep_for(1s);  // the measurement window, not a wait for a condition
    const auto ticks_after = lb->cpu_ticks();
    REQUIRE(ticks_after);
    const double cpu_seconds = static_cast<double>(*ticks_after - *ticks_before) /
                               static_cast<double>(::sysconf(_SC_CLK_TCK));
    INFO("lb used " << cpu_seconds << " s of CPU during a 1 s hold with " << kClients
                    << " clients; lb had " << *fds_idle << " fds idle, "
                    << lb->open_fds().value_or(0) << " during the hold; backend accepted "
                    << site.accepted());
    CHECK(cpu_seconds < 0.5);
    REQUIRE(lb->running());

    // Released: lb must close its sessions (give back its fds) and then serve again. Kernel
    // pipes a splicing session leased go back to lb's pipe pool, which keeps them for reuse:
    // they are not counted.
    clients.clear();
    const auto not_pipes = [&] {
        const auto fds = lb->open_fds();
        const auto pipes = open_pipes(lb->pid());
        return fds && pipes ? *fds - *pipes : SIZE_MAX;
    };
    const bool released =
        wait_until([&] { return not_pipes() <= *fds_idle - *pipes_idle + 2; }, deadline_in(5s));
    INFO("lb has " << lb->open_fds().value_or(0) << " fds after the clients left:\n"
                   << describe_fds(lb->pid()));
    CHECK(released);
    Fd next = connect_front(front);
    const std::uint16_t next_port = local_port(next.get());
    const bool echoed = echo_once(next.get(), "after EMFILE", deadline_in(10s));
    INFO("new connection from port " << next_port << "; lb log now:\n" << log_of(*lb));
    CHECK(echoed);
    CHECK(lb->running());
}

TEST_CASE("out of file descriptors: a shortage in lb itself does not fail over to the standby",
          "[e2e][limits][emfile]") {
    constexpr int kFdLimit = 64;
    constexpr int kClients = 100;
    BackendServer primary(kSiteA, 0, echo_handler());
    BackendServer standby(kSiteB, primary.port(), echo_handler());  // the standby is healthy
    const Front front = free_front();
    LbConfig config = front_config(front, primary.port());
    config.max_connections = 10000;
    auto lb = start_lb(config, SpawnOptions{.nofile_limit = kFdLimit});
    // rise = 2: once a third check has connected, two have succeeded and site-b counts as up.
    REQUIRE(wait_until([&] { return standby.accepted() >= 3; }, deadline_in(5s)));
    const auto fds_idle = lb->open_fds();
    REQUIRE(fds_idle);

    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connect_front(front));
    // Wait until lb has taken every connection it could (its fds are all in use).
    (void)wait_until([&] { return lb->open_fds().value_or(0) >= kFdLimit - 2; }, deadline_in(2s));
    clients.clear();
    REQUIRE(wait_until([&] { return lb->open_fds().value_or(SIZE_MAX) <= *fds_idle + 2; },
                       deadline_in(5s)));

    Fd next = connect_front(front);
    const std::uint16_t next_port = local_port(next.get());
    CHECK(echo_once(next.get(), "still on site-a"));
    next.reset();
    const auto log = lb->wait_for_tcplog(next_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->site == "site-a");
    const auto records = standby.records();
    CHECK(std::none_of(records.begin(), records.end(),
                       [](const ConnectionRecord& r) { return r.received > 0; }));
}

// `config` as lb.toml in `workspace` with `splice = true`, whatever LB_TEST_EXTRA_GLOBAL says.
void write_with_splice(const LbWorkspace& workspace, const LbConfig& config) {
    std::istringstream rendered(config.render(workspace.state_file(), workspace.admin_socket()));
    std::string text;
    for (std::string line; std::getline(rendered, line);) {
        if (line.starts_with("splice")) continue;
        text += line + "\n";
        if (line == "[global]") text += "splice = true\n";
    }
    std::ofstream(workspace.config_path()) << text;
}

TEST_CASE("out of file descriptors for kernel pipes: splice sessions copy instead, bytes intact",
          "[e2e][limits][emfile][splice][one-path]") {
    constexpr std::size_t kFdLimit = 64;
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    // One check at the start, then none during the test: a check's socket would take the fd
    // a session (or a pipe) needs.
    config.health_interval = "1h";
    config.health_timeout = "1s";
    LbWorkspace workspace;
    write_with_splice(workspace, config);
    auto lb = require_ready(
        std::make_unique<LbProcess>(workspace, SpawnOptions{.nofile_limit = kFdLimit}));
    INFO("config:\n" << lb->config_text());
    // The first checks run at once (site-b's is refused at once): over before lb's fds are
    // counted.
    REQUIRE(wait_until([&] { return site.accepted() >= 1; }, deadline_in(5s)));
    REQUIRE(wait_until(
        [&] {
            const auto records = site.records();
            return std::all_of(records.begin(), records.end(),
                               [](const ConnectionRecord& r) { return r.finished; });
        },
        deadline_in(5s)));
    const std::size_t checks = site.accepted();
    const auto fds_idle = lb->open_fds();
    const auto pipes_idle = open_pipes(lb->pid());
    REQUIRE(fds_idle);
    REQUIRE(pipes_idle);

    // Sessions, connected to the site but carrying nothing yet, until at most one fd is left:
    // each holds two, and a kernel pipe needs two more.
    std::vector<Fd> clients;
    while (*fds_idle + 2 * clients.size() + 1 < kFdLimit) {
        clients.push_back(connect_front(front));
        const std::size_t expected = *fds_idle + 2 * clients.size();
        INFO("session " << clients.size() << ": lb holds " << lb->open_fds().value_or(0)
                        << " fds, expected " << expected << "\n"
                        << describe_fds(lb->pid()));
        REQUIRE(wait_until(
            [&] {
                return site.accepted() == checks + clients.size() && lb->open_fds() == expected;
            },
            deadline_in(5s)));
    }
    INFO(clients.size() << " sessions; lb had " << *fds_idle << " fds idle, " << *pipes_idle
                        << " of them pipes");
    REQUIRE(clients.size() >= 4);

    // Every session moves its bytes both ways (through user-space buffers: no pipe fits), all
    // of them still open, so no session's end frees fds for the next one's pipe.
    for (std::size_t i = 0; i < clients.size(); ++i) {
        INFO("session " << i);
        const std::string request = Payload::random(200 * 1024 + i, 40 + i).materialize();
        const int fd = clients[i].get();
        IoStatus sent = IoStatus::Error;
        std::thread sender([&] { sent = send_all(fd, request, deadline_in(20s)); });
        std::string echoed;
        const IoStatus received = recv_exact(fd, request.size(), echoed, deadline_in(20s));
        sender.join();
        CHECK(sent == IoStatus::Ok);
        CHECK(received == IoStatus::Ok);
        CHECK(echoed.size() == request.size());
        CHECK((echoed == request));  // not decomposed: no 200 KiB strings in the report
        CHECK(open_pipes(lb->pid()) == pipes_idle);
    }
    // Then each ends as usual: our FIN goes through, the site's comes back.
    std::vector<std::uint16_t> ports;
    for (const Fd& client : clients) {
        ports.push_back(local_port(client.get()));
        REQUIRE(shutdown_write(client.get()));
        CHECK(wait_closed(client.get(), deadline_in(5s)) == IoStatus::Eof);
    }
    clients.clear();
    for (const std::uint16_t port : ports) {
        INFO("client port " << port);
        const auto log = lb->wait_for_tcplog(port, deadline_in(5s));
        INFO("lb log:\n" << log_of(*lb));
        REQUIRE(log);
        CHECK(log->term == "--");
        CHECK(log->bytes_to_site == log->bytes_to_client);
        CHECK(log->bytes_to_site >= 200 * 1024);
    }
    CHECK(lb->running());
}

}  // namespace
}  // namespace lb::test
