// End-to-end tests of the sticky failover policy with a real lb in front of two real NGINX
// gateways: a gateway crash under traffic, stickiness when the primary returns (manual
// failback), a restart on the state file, auto failback after its hold-down, both sites down.
// A gateway "dies" by SIGKILL (Gateway::kill): the harsh case, nothing is closed gracefully.
#include <signal.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "tests/e2e/failover_fixture.h"

namespace lb::test {
namespace {

// Both gateways up, lb started on `setup`, both sites reported up.
std::unique_ptr<LbProcess> start_in_front(TwoSites& sites, const FailoverSetup& setup) {
    sites.a.start();
    sites.b.start();
    auto lb = start_lb(failover_config(setup));
    require_health(*lb, "site-a", "up");
    require_health(*lb, "site-b", "up");
    return lb;
}

// Waits until lb's state file names `active` (unpinned) with exactly `epoch`.
void require_state_of(const LbProcess& lb, const std::string& active, std::uint64_t epoch) {
    (void)require_state(
        lb.dir() / "state.json",
        [&](const StateDocument& s) {
            return s.active == active && !s.pinned.has_value() && s.epoch == epoch;
        },
        "active " + active + ", not pinned, epoch " + std::to_string(epoch));
}

bool any_failover(std::string_view line) { return is_failover_line(line); }

TEST_CASE("failover under traffic: site-a's gateway dies, only the request in flight fails",
          "[e2e][failover][traffic]") {
    TwoSites sites;
    const FailoverSetup setup = default_setup(sites);
    auto lb = start_in_front(sites, setup);

    TrafficRecorder traffic(setup.front, 10ms);
    const auto origin = SteadyClock::now();
    // About a second of traffic on site-a first.
    const bool warmed_up =
        wait_until([&] { return elapsed_ms(origin) >= 1000 && traffic.ok_count("site-a") >= 20; },
                   deadline_in(10s));
    {
        INFO("lb log:\n" << lb->log_text());
        REQUIRE(warmed_up);
    }

    const auto kill_sent = SteadyClock::now();
    sites.a.kill();  // SIGKILL; returns once the process is reaped: its sockets are gone
    const auto kill_done = SteadyClock::now();
    std::this_thread::sleep_until(kill_done + 3s);  // three more seconds of traffic: the stimulus
    traffic.stop();
    const std::vector<HttpAttempt> attempts = traffic.attempts();

    // lb's line for every connection it accepted (it logs once the connection has ended).
    std::multimap<std::uint16_t, TcplogLine> logged;
    (void)wait_until(
        [&] {
            logged.clear();
            for (TcplogLine& line : lb->tcplog_lines()) logged.emplace(line.client_port, line);
            return std::all_of(attempts.begin(), attempts.end(), [&](const HttpAttempt& a) {
                return a.client_port == 0 || logged.contains(a.client_port);
            });
        },
        deadline_in(5s));
    const auto lines_of = [&](std::uint16_t port) {
        std::vector<TcplogLine> out;
        for (auto [it, end] = logged.equal_range(port); it != end; ++it) out.push_back(it->second);
        return out;
    };

    std::ostringstream timeline;  // everything that was not a plain answer, for messages
    timeline << "kill sent at "
             << std::chrono::duration_cast<std::chrono::milliseconds>(kill_sent - origin).count()
             << " ms, site-a reaped at "
             << std::chrono::duration_cast<std::chrono::milliseconds>(kill_done - origin).count()
             << " ms\n";
    std::size_t failed = 0;
    std::size_t in_flight_failed = 0;
    std::optional<SteadyClock::time_point> first_b;
    for (const HttpAttempt& a : attempts) {
        if (a.outcome == Outcome::Ok && a.site == "site-b") {
            if (!first_b || a.end < *first_b) first_b = a.end;
            continue;
        }
        if (a.outcome == Outcome::Ok && a.start < kill_sent) continue;  // site-a, before the kill
        timeline << describe(a, origin);
        for (const TcplogLine& line : lines_of(a.client_port))
            timeline << " | lb: " << line.site << " " << line.tc_ms << "/" << line.tt_ms << " "
                     << line.term << " retries " << line.retries;
        timeline << "\n";
        if (a.outcome == Outcome::Ok) continue;  // site-a answered after the kill: judged below
        ++failed;
        // In flight on site-a at the kill: started before site-a was gone, ended after the kill
        // was sent, and lb had connected it to site-a (Tc >= 0) without a retry.
        const auto lines = lines_of(a.client_port);
        const bool on_site_a = std::any_of(lines.begin(), lines.end(), [](const TcplogLine& l) {
            return l.site == "site-a" && l.tc_ms >= 0 && l.retries == 0;
        });
        if (a.start < kill_done && a.end >= kill_sent && on_site_a) ++in_flight_failed;
    }
    std::size_t answered_by_a_after_kill = 0;
    // In flight at the kill, whatever became of them: started before site-a was gone (reaped;
    // SIGKILL takes a few ms to land), not ended before the kill was sent.
    std::size_t in_flight_at_kill = 0;
    for (const HttpAttempt& a : attempts) {
        if (a.outcome == Outcome::Ok && a.site == "site-a" && a.start >= kill_done)
            ++answered_by_a_after_kill;
        if (a.start < kill_done && a.end >= kill_sent) ++in_flight_at_kill;
    }

    // Retried connections: refused by site-a, then served by site-b (retry_on_standby).
    std::size_t retried = 0;
    for (const auto& [port, line] : logged) {
        if (line.retries == 0) continue;
        ++retried;
        INFO("retried connection: port " << port << " site " << line.site << " term " << line.term
                                         << " retries " << line.retries);
        CHECK(line.retries == 1);
        CHECK(line.site == "site-b");
        CHECK(line.term == "--");
        const bool client_got_b =
            std::any_of(attempts.begin(), attempts.end(), [port = port](const HttpAttempt& a) {
                return a.client_port == port && a.outcome == Outcome::Ok && a.site == "site-b";
            });
        CHECK(client_got_b);
    }

    const long long kill_to_b_ms =
        first_b
            ? std::chrono::duration_cast<std::chrono::milliseconds>(*first_b - kill_sent).count()
            : -1;
    WARN("failover under traffic: " << attempts.size() << " requests, kill -> first site-b answer "
                                    << kill_to_b_ms << " ms, failed client connections " << failed
                                    << " (in flight at the kill: " << in_flight_at_kill
                                    << ", failed of those on site-a: " << in_flight_failed
                                    << "), retried on site-b: " << retried);

    const std::vector<std::string> log = lb->log_lines();
    INFO("client timeline (non-trivial attempts):\n" << timeline.str());
    INFO("lb log:\n" << lb->log_text());
    CHECK(attempts.size() >= 200);  // the client did run during the whole scenario
    // No client failed except the one request that was in flight on site-a when it died.
    CHECK(failed == in_flight_failed);
    CHECK(failed <= in_flight_at_kill);
    CHECK(in_flight_at_kill <= 1);  // the client has one request in flight at a time
    CHECK(answered_by_a_after_kill == 0);
    REQUIRE(first_b.has_value());
    // The claim: a refused connect to site-a is retried on site-b at once, and the health
    // checks (200 ms, fall 2) fail over well within this.
    CHECK(kill_to_b_ms <= 500);

    // One failover, for health, logged as a warning; site-a's down line gives the cause.
    CHECK(count_lines(log, any_failover) == 1);
    CHECK(count_lines(log, [](std::string_view l) {
              return is_failover_line(l, "site-a", "site-b", "health");
          }) == 1);
    const std::size_t failover_at = index_of(log, any_failover);
    REQUIRE(failover_at < log.size());
    CHECK(log_level(log[failover_at]) == "warning");
    const std::size_t down_at =
        index_of(log, [](std::string_view l) { return is_health_line(l, "site-a", "down"); });
    REQUIRE(down_at < log.size());
    // Passive checks are failed client connects, each retried on site-b: if they brought site-a
    // down, at least the one that did was retried.
    if (log[down_at].find("passive:") != std::string::npos) CHECK(retried >= 1);

    require_state_of(*lb, "site-b", 1);
}

// Kills site-a's gateway, waits for the failover and brings site-a back until lb says it is up.
void fail_over_and_bring_site_a_back(TwoSites& sites, const FailoverSetup& setup,
                                     const LbProcess& lb) {
    (void)require_answers(setup.front, lb, "site-a", 3);
    sites.a.kill();
    require_health(lb, "site-a", "down");
    require_failover(lb, "site-a", "site-b", "health");
    (void)require_answers(setup.front, lb, "site-b", 3);
    sites.a.start();
    require_health(lb, "site-a", "up", 2);
}

TEST_CASE("sticky: when site-a comes back, traffic stays on site-b (failback = manual)",
          "[e2e][failover][sticky]") {
    TwoSites sites;
    const FailoverSetup setup = default_setup(sites);
    auto lb = start_in_front(sites, setup);
    fail_over_and_bring_site_a_back(sites, setup, *lb);

    // site-a is up again. Watch for about five more check intervals: nothing moves back.
    for (int i = 0; i < 10; ++i) {
        (void)require_answers(setup.front, *lb, "site-b", 1);
        std::this_thread::sleep_for(100ms);  // observation window for an absence, by design
    }
    const std::vector<std::string> log = lb->log_lines();
    INFO("lb log:\n" << lb->log_text());
    CHECK(count_lines(log, any_failover) == 1);
    require_state_of(*lb, "site-b", 1);
}

TEST_CASE("restart: a new lb on the same config and state file stays on site-b",
          "[e2e][failover][restart]") {
    TwoSites sites;
    const FailoverSetup setup = default_setup(sites);
    auto lb = start_in_front(sites, setup);
    fail_over_and_bring_site_a_back(sites, setup, *lb);

    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    const std::string state_before = read_file(lb->dir() / "state.json");
    {
        INFO("lb log:\n" << lb->log_text());
        INFO("state file: " << state_before);
        CHECK(stopped.exited_in_time);
        CHECK(stopped.exit_code == 0);
        const auto state = parse_state(state_before);
        REQUIRE(state.has_value());
        CHECK(state->active == "site-b");
        CHECK(state->epoch >= 1);
    }

    // Both sites are up; a naive start would land on the primary.
    LbProcess again(lb->workspace());
    const bool ready = again.wait_ready(deadline_in(10s));
    {
        INFO("restarted lb log:\n" << again.log_text());
        REQUIRE(ready);
    }
    const std::string loaded = require_log(
        again, [](std::string_view l) { return l.find(" state file ") != std::string_view::npos; },
        "the state file being read");
    CHECK(loaded.find("active site site-b") != std::string::npos);
    require_health(again, "site-a", "up");
    require_health(again, "site-b", "up");
    (void)require_answers(setup.front, again, "site-b", 5);

    const StopResult stopped_again = again.stop(SIGTERM, deadline_in(10s));
    INFO("restarted lb log:\n" << again.log_text());
    CHECK(count_lines(again.log_lines(), any_failover) == 0);
    CHECK(stopped_again.exit_code == 0);
    // Nothing changed, so nothing was written.
    CHECK(read_file(lb->dir() / "state.json") == state_before);
}

TEST_CASE("auto failback: back to site-a no earlier than failback_after after it is up",
          "[e2e][failover][failback]") {
    TwoSites sites;
    FailoverSetup setup = default_setup(sites);
    setup.failback = "auto";
    setup.failback_after = "1s";
    auto lb = start_in_front(sites, setup);
    fail_over_and_bring_site_a_back(sites, setup, *lb);
    const std::string up_line = require_health(*lb, "site-a", "up", 2);

    // During the hold-down new connections still go to site-b. Only judged when the answer came
    // before the failback was logged (a slow test may see the hold-down already over).
    const HttpAttempt during = http_get(setup.front);
    const bool failed_back_already = count_lines(lb->log_lines(), [](std::string_view l) {
                                         return is_failover_line(l, "", "", "failback");
                                     }) > 0;
    if (!failed_back_already) {
        INFO(describe(during, during.start));
        CHECK(during.outcome == Outcome::Ok);
        CHECK(during.site == "site-b");
    }

    const std::string failback_line = require_failover(*lb, "site-b", "site-a", "failback");
    const auto up_ms = log_time_ms(up_line);
    const auto back_ms = log_time_ms(failback_line);
    REQUIRE(up_ms.has_value());
    REQUIRE(back_ms.has_value());
    const std::int64_t held = *back_ms - *up_ms;
    WARN("auto failback: site-a up -> failback " << held << " ms (failback_after = 1s)");
    {
        INFO("lb log:\n" << lb->log_text());
        // The hold-down starts at the loop's cached time, taken when the loop iteration that
        // completed the check began; the "up" line's timestamp is taken later in that iteration
        // and both are truncated to milliseconds. Allow that much (20 ms), far less than the
        // check interval a hold-down started one check early would show.
        CHECK(held >= 1000 - 20);
        CHECK(held < 5000);
    }
    (void)require_answers(setup.front, *lb, "site-a", 5);

    {
        INFO("lb log:\n" << lb->log_text());
        CHECK(count_lines(lb->log_lines(), any_failover) == 2);
    }
    require_state_of(*lb, "site-a", 2);
}

TEST_CASE("both sites down: lb stays on site-a, then moves to whichever site comes back first",
          "[e2e][failover][both-down]") {
    TwoSites sites;
    const FailoverSetup setup = default_setup(sites);
    auto lb = start_in_front(sites, setup);
    (void)require_answers(setup.front, *lb, "site-a", 2);

    // site-b first, so that site-a is never down while site-b is still up (that would be an
    // ordinary failover).
    sites.b.kill();
    require_health(*lb, "site-b", "down");
    sites.a.kill();
    require_health(*lb, "site-a", "down");

    // About five check intervals with both down, with clients knocking: the active site stays.
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 10; ++i) {
        const HttpAttempt attempt = http_get(setup.front);
        CHECK(attempt.outcome != Outcome::Ok);
        if (attempt.client_port != 0) ports.push_back(attempt.client_port);
        std::this_thread::sleep_for(100ms);  // observation window for an absence, by design
    }
    for (const std::uint16_t port : ports) {
        const auto line = lb->wait_for_tcplog(port, deadline_in(5s));
        INFO("lb log:\n" << lb->log_text());
        REQUIRE(line.has_value());
        CHECK(line->site == "site-a");
        CHECK(line->term == "SC");
    }
    {
        INFO("lb log:\n" << lb->log_text());
        CHECK(count_lines(lb->log_lines(), any_failover) == 0);
    }

    sites.b.start();
    require_health(*lb, "site-b", "up", 2);
    require_failover(*lb, "site-a", "site-b", "health");
    (void)require_answers(setup.front, *lb, "site-b", 3);
    INFO("lb log:\n" << lb->log_text());
    CHECK(count_lines(lb->log_lines(), any_failover) == 1);
}

TEST_CASE("a corrupt state file: lb starts on site-a, says so, and leaves the file alone",
          "[e2e][failover][state-file]") {
    TwoSites sites;
    const FailoverSetup setup = default_setup(sites);
    sites.a.start();
    sites.b.start();
    LbWorkspace workspace("lb-e2e-state");
    const auto state_path = workspace.state_file();
    workspace.write_config(failover_config(setup));
    const std::string garbage = "{\"active\": \"site-b\", \"epoch\": 7,\x01 garbage\n";
    write_file(state_path, garbage);

    LbProcess lb(workspace);
    const bool ready = lb.wait_ready(deadline_in(10s));
    {
        INFO("lb log:\n" << lb.log_text());
        REQUIRE(ready);
    }
    const std::string error = require_log(
        lb,
        [&](std::string_view l) {
            return l.find(" error ") != std::string_view::npos &&
                   l.find(state_path.string()) != std::string_view::npos;
        },
        "an error naming the state file");
    CHECK(error.find("starting on the primary") != std::string::npos);
    require_health(lb, "site-a", "up");
    require_health(lb, "site-b", "up");
    (void)require_answers(setup.front, lb, "site-a", 3);
    CHECK(read_file(state_path) == garbage);

    // The next real change rewrites it, as valid JSON.
    sites.a.kill();
    require_failover(lb, "site-a", "site-b", "health");
    (void)require_state(
        state_path,
        [](const StateDocument& s) {
            return s.active == "site-b" && !s.pinned.has_value() && s.epoch == 1;
        },
        "active site-b, not pinned, epoch 1");
}

}  // namespace
}  // namespace lb::test
