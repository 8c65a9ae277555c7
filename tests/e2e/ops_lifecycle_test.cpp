// End-to-end tests of lb's life cycle as operators drive it: SIGTERM drains (sessions that end in
// time, sessions that outlive timeouts.drain), SIGINT stops at once, and a second instance on the
// same admin socket (live: refused; stale after a crash: taken over).
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>

#include "tests/e2e/ops_fixture.h"

namespace lb::test::ops {
namespace {

bool refused(const Front& front) {
    int error = 0;
    const Fd fd = connect_tcp(front.ip, front.port, deadline_in(2s), &error);
    return !fd && error == ECONNREFUSED;
}

std::optional<TcplogLine> tcplog_of(const LbProcess& lb, std::uint16_t client_port) {
    for (const std::string& line : lb.log_lines())
        if (auto parsed = parse_tcplog(line); parsed && parsed->client_port == client_port)
            return parsed;
    return std::nullopt;
}

TEST_CASE(
    "SIGTERM drain: a session ending within the drain completes, new ones are refused, "
    "lb exits 0 as soon as it ends",
    "[e2e][ops][drain]") {
    Rig rig;
    rig.config.drain_timeout = "2s";
    auto lb = rig.start();
    Session session = open_session(rig.front, rig.sites);
    REQUIRE(session.site == "site-a");

    const auto sigterm = SteadyClock::now();
    lb->signal(SIGTERM);
    // The listener closes: new connections are refused while the session drains.
    CHECK(wait_until([&] { return refused(rig.front); }, deadline_in(1s)));
    const std::string last(64 << 10, 'd');
    CHECK(echo_once(session.fd.get(), last));
    CHECK(lb->running());
    CHECK(refused(rig.front));
    REQUIRE(shutdown_write(session.fd.get()));
    CHECK(wait_closed(session.fd.get(), deadline_in(5s)) == IoStatus::Eof);
    const long long session_done = elapsed_ms(sigterm);
    INFO("session done " << session_done << " ms after SIGTERM");
    CHECK(session_done < 1000);

    const auto exit = lb->wait_exit(deadline_in(5s));
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(exit);
    const long long exited = elapsed_ms(sigterm);
    INFO("lb exited " << exited << " ms after SIGTERM");
    CHECK(exit->exited);
    CHECK(exit->exit_code == 0);
    CHECK(exited < 2000);  // it did not wait for timeouts.drain
    const auto line = tcplog_of(*lb, session.client_port);
    REQUIRE(line);
    CHECK(line->term == "--");
    CHECK(line->bytes_to_site == session.greeting_bytes + last.size());
    CHECK(line->bytes_to_client == session.greeting_bytes + last.size());
}

TEST_CASE("SIGTERM drain: a session outliving timeouts.drain is closed at ~2 s, lb exits 0",
          "[e2e][ops][drain]") {
    Rig rig;
    rig.config.drain_timeout = "2s";
    auto lb = rig.start();
    Session session = open_session(rig.front, rig.sites);

    const auto sigterm = SteadyClock::now();
    lb->signal(SIGTERM);
    CHECK(wait_until([&] { return refused(rig.front); }, deadline_in(1s)));
    CHECK(echo_once(session.fd.get(), "still served while draining"));
    const IoStatus closed = wait_closed(session.fd.get(), deadline_in(6s));
    const long long closed_ms = elapsed_ms(sigterm);
    INFO("session closed (" << to_string(closed) << ") " << closed_ms << " ms after SIGTERM");
    CHECK((closed == IoStatus::Eof || closed == IoStatus::Reset));
    CHECK(closed_ms >= 1900);
    CHECK(closed_ms < 3500);

    const auto exit = lb->wait_exit(deadline_in(5s));
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(exit);
    CHECK(exit->exited);
    CHECK(exit->exit_code == 0);
    const auto line = tcplog_of(*lb, session.client_port);
    REQUIRE(line);
    CHECK(line->term == "KD");  // killed by the shutdown, in the data phase
}

TEST_CASE("SIGINT stops at once with sessions open", "[e2e][ops][drain]") {
    Rig rig;
    rig.config.drain_timeout = "30s";
    auto lb = rig.start();
    std::vector<Session> sessions;
    for (int i = 0; i < 3; ++i) sessions.push_back(open_session(rig.front, rig.sites));

    const StopResult exit = lb->stop(SIGINT, deadline_in(5s));
    INFO("lb log:\n" << lb->log_text());
    INFO("exit after " << exit.took_ms << " ms");
    CHECK(exit.exited);
    CHECK(exit.exit_code == 0);
    CHECK(exit.took_ms < 1000);
    for (const Session& session : sessions)
        CHECK(is_closed_within(session.fd.get(), deadline_in(1s)));
}

TEST_CASE("during a drain the admin socket answers and show info says Stopping: 1",
          "[e2e][ops][drain][haproxy]") {
    Rig rig;
    rig.config.drain_timeout = "5s";
    auto lb = rig.start();
    Session session = open_session(rig.front, rig.sites);
    CHECK(key_values(admin(rig.socket(), "show info")).at("Stopping") == "0");

    lb->signal(SIGTERM);
    REQUIRE(wait_until([&] { return refused(rig.front); }, deadline_in(1s)));
    // A probe of refused() that lb accepted just before it closed its listeners counts until lb
    // has seen it close.
    std::map<std::string, std::string> info;
    CHECK(wait_until(
        [&] {
            info = key_values(admin(rig.socket(), "show info"));
            return info.at("CurrConns") == "1";
        },
        deadline_in(2s)));
    INFO("show info: CurrConns " << info.at("CurrConns"));
    CHECK(info.at("Stopping") == "1");  // HAProxy's soft-stop flag, which scripts poll
    // The session still draining is listed with its client address.
    const std::string sessions = admin(rig.socket(), "show sessions");
    INFO("show sessions:\n" << sessions);
    CHECK(sessions.find("127.0.0.1:" + std::to_string(local_port(session.fd.get()))) !=
          std::string::npos);
    CHECK(admin(rig.socket(), "reload").starts_with("error:"));  // nothing to reload any more

    session.fd.reset();
    const auto exit = lb->wait_exit(deadline_in(5s));
    REQUIRE(exit);
    CHECK(exit->exit_code == 0);
}

TEST_CASE("a second SIGTERM or a SIGINT cuts a drain short", "[e2e][ops][drain]") {
    for (const int second : {SIGTERM, SIGINT}) {
        INFO("second signal " << (second == SIGTERM ? "SIGTERM" : "SIGINT"));
        Rig rig;
        rig.config.drain_timeout = "20s";
        auto lb = rig.start();
        Session session = open_session(rig.front, rig.sites);

        lb->signal(SIGTERM);
        REQUIRE(wait_until([&] { return refused(rig.front); }, deadline_in(1s)));
        CHECK(echo_once(session.fd.get(), "draining"));
        const StopResult exit = lb->stop(second, deadline_in(3s));
        INFO("lb log:\n" << lb->log_text());
        INFO("exit " << exit.took_ms << " ms after the second signal");
        CHECK(exit.exited);
        CHECK(exit.exit_code == 0);
        CHECK(exit.took_ms < 1000);
        CHECK(is_closed_within(session.fd.get(), deadline_in(1s)));
    }
}

TEST_CASE("a second lb on a live admin socket refuses to start, a stale one is taken over",
          "[e2e][ops][restart]") {
    Rig rig;
    auto first = rig.start();
    const auto sock = rig.socket();
    struct stat before {};
    REQUIRE(::lstat(sock.c_str(), &before) == 0);

    // The same config again, as an operator starting it twice would.
    auto second = std::make_unique<LbProcess>(rig.ws);
    const auto exit = second->wait_exit(deadline_in(10s));
    INFO("second lb's log:\n" << second->log_text());
    REQUIRE(exit);
    CHECK(exit->exited);
    CHECK(exit->exit_code != 0);
    CHECK(second->log_text().find("admin socket " + sock.string() +
                                  " is in use by another running instance") != std::string::npos);

    // The first one's socket is untouched and still answers.
    struct stat after {};
    REQUIRE(::lstat(sock.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    CHECK(key_values(admin(sock, "show info")).at("Pid") == std::to_string(first->pid()));
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    // A crash leaves the socket file behind; the next start removes it and listens anew.
    const StopResult killed = first->stop(SIGKILL, deadline_in(5s));
    CHECK(killed.signal == SIGKILL);
    struct stat stale {};
    REQUIRE(::lstat(sock.c_str(), &stale) == 0);
    CHECK(S_ISSOCK(stale.st_mode));
    CHECK(AdminClient(sock).connect_error() == ECONNREFUSED);

    auto third = start_lb(rig.ws);
    INFO("third lb's log:\n" << third->log_text());
    CHECK(third->wait_for_log(
        [](std::string_view line) {
            return message_starts_with(line, "admin: removed stale socket");
        },
        deadline_in(1s)));
    CHECK(key_values(admin(sock, "show info")).at("Pid") == std::to_string(third->pid()));
    require_sites_up(sock);
    CHECK(route_of(rig.front, rig.sites) == "site-a");
}

}  // namespace
}  // namespace lb::test::ops
