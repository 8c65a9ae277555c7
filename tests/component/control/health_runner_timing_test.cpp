// HealthRunner on manual time with fake probers: no sockets, no sleeps. Checks when checks start
// (at once, then every interval start to start, never overlapping, one site never waiting on
// another), what their results become (one HealthChange per completed streak, passive failures,
// inconclusive checks) and what a reload or stop() does to checks in flight.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "health/prober.h"
#include "lb/control/health_runner.h"
#include "tests/support/manual_scheduler.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;
using health::CheckCause;
using health::CheckResult;
using health::Health;

constexpr const char* kIpA = "10.0.0.1";  // site-a
constexpr const char* kIpB = "10.0.0.2";  // site-b
constexpr const char* kIpC = "10.0.0.3";  // site-c, added by a reload

CheckResult passed() {
    return {.ok = true, .cause = CheckCause::Passed, .reason = "http 200", .http_status = 200};
}
CheckResult http_503() {
    return {.ok = false, .cause = CheckCause::BadStatus, .reason = "http 503", .http_status = 503};
}
CheckResult refused() {
    return {.ok = false, .cause = CheckCause::ConnectRefused, .reason = "connect refused"};
}
CheckResult out_of_fds() {
    return {.ok = false,
            .cause = CheckCause::SocketError,
            .reason = "socket: too many open files",
            .inconclusive = true};
}

// Every prober the runner makes, and every check they were asked to run. A check completes when
// the test says so (complete()), or by itself after a set latency on the scheduler (reply()),
// never from inside start(), as the Prober contract requires.
class FakeProbers {
public:
    struct Started {
        health::CheckTarget target;
        TimePoint at;
    };

    explicit FakeProbers(Scheduler& scheduler) : scheduler_(scheduler) {}

    HealthRunner::ProberFactory factory() {
        return [this](config::CheckKind kind) -> std::unique_ptr<health::Prober> {
            kinds_made.push_back(kind);
            return std::make_unique<Prober>(*this);
        };
    }

    // Checks started on `ip` so far.
    [[nodiscard]] std::vector<TimePoint> starts(std::string_view ip) const {
        std::vector<TimePoint> out;
        for (const Started& s : started)
            if (s.target.address.ip_string() == ip) out.push_back(s.at);
        return out;
    }
    [[nodiscard]] std::size_t in_flight(std::string_view ip) const {
        std::size_t n = 0;
        for (const Prober* p : live_)
            if (p->pending() && p->target().address.ip_string() == ip) ++n;
        return n;
    }
    // Completes the one check in flight on `ip` now.
    void complete(std::string_view ip, CheckResult result) {
        Prober* found = nullptr;
        for (Prober* p : live_)
            if (p->pending() && p->target().address.ip_string() == ip) {
                REQUIRE(found == nullptr);  // one site, one check at a time
                found = p;
            }
        REQUIRE(found != nullptr);
        found->finish(std::move(result));
    }
    // From now on every check of `ip` completes by itself `latency` after it started.
    void reply(std::string_view ip, CheckResult result, Duration latency = 0ms) {
        replies_[std::string(ip)] = {std::move(result), latency};
    }
    void stop_replying(std::string_view ip) { replies_.erase(std::string(ip)); }

    std::vector<Started> started;
    std::vector<config::CheckKind> kinds_made;
    int cancelled = 0;  // checks abandoned in flight (cancel() or the prober destroyed)

private:
    struct Reply {
        CheckResult result;
        Duration latency;
    };

    class Prober final : public health::Prober {
    public:
        explicit Prober(FakeProbers& owner) : owner_(owner) { owner_.live_.push_back(this); }
        ~Prober() override {
            cancel();
            std::erase(owner_.live_, this);
        }

        void start(const health::CheckTarget& target, DoneCallback on_done) override {
            cancel();
            target_ = target;
            done_ = std::move(on_done);
            owner_.started.push_back({target, owner_.scheduler_.now()});
            const auto scripted = owner_.replies_.find(target.address.ip_string());
            if (scripted == owner_.replies_.end()) return;
            reply_ = scripted->second.result;
            timer_ = owner_.scheduler_.make_timer([this] { finish(std::move(reply_)); });
            timer_->arm(scripted->second.latency);
        }
        void cancel() override {
            timer_.reset();
            if (done_) ++owner_.cancelled;
            done_ = nullptr;
        }

        // The callback may destroy this prober (a reload from an event): touch nothing after.
        void finish(CheckResult result) {
            REQUIRE(done_);
            DoneCallback done = std::move(done_);
            done_ = nullptr;
            done(std::move(result));
        }
        [[nodiscard]] bool pending() const { return static_cast<bool>(done_); }
        [[nodiscard]] const health::CheckTarget& target() const { return target_; }

    private:
        FakeProbers& owner_;
        health::CheckTarget target_;
        DoneCallback done_;
        CheckResult reply_;
        std::unique_ptr<Timer> timer_;
    };

    Scheduler& scheduler_;
    std::vector<Prober*> live_;
    std::map<std::string, Reply, std::less<>> replies_;
};

struct Recorder final : HealthEvents {
    struct Change {
        std::size_t site;
        health::HealthChange change;
    };
    std::vector<std::pair<std::size_t, CheckResult>> checks;
    std::vector<Change> changes;

    void on_check_completed(std::size_t site, const CheckResult& result) override {
        checks.emplace_back(site, result);
    }
    void on_health_changed(std::size_t site, const health::HealthChange& change) override {
        changes.push_back({site, change});
    }
};

config::Site make_site(std::string name, config::SiteRole role, const char* ip) {
    config::Site site;
    site.name = std::move(name);
    site.role = role;
    site.address = *SocketAddress::parse_ip(ip);
    site.health.kind = config::CheckKind::Http;
    site.health.port = 8080;
    site.health.path = "/health";
    site.health.interval = 2s;
    site.health.rise = 2;
    site.health.fall = 3;
    return site;
}

config::Config two_sites() {
    config::Config config;
    config.sites = {make_site("site-a", config::SiteRole::Primary, kIpA),
                    make_site("site-b", config::SiteRole::Standby, kIpB)};
    return config;
}

struct Fixture {
    ManualScheduler scheduler;
    const TimePoint t0 = scheduler.now();
    FakeProbers probers{scheduler};
    Recorder events;
    config::Config config = two_sites();
    std::optional<HealthRunner> runner;

    Fixture() { runner.emplace(scheduler, config, events, probers.factory()); }
    // Brings both sites Up (rise = 2 passed checks each), the first two intervals.
    void bring_both_up() {
        probers.reply(kIpA, passed());
        probers.reply(kIpB, passed());
        scheduler.run_due();
        scheduler.advance(2s);
        REQUIRE(runner->health(0) == Health::Up);
        REQUIRE(runner->health(1) == Health::Up);
        probers.stop_replying(kIpA);
        probers.stop_replying(kIpB);
        events.changes.clear();
        events.checks.clear();
    }
};

TEST_CASE("health runner timing: first checks at once, then every interval start to start",
          "[component][control]") {
    Fixture f;
    CHECK(f.probers.started.empty());  // nothing runs inside the constructor
    CHECK(f.probers.kinds_made ==
          std::vector<config::CheckKind>{config::CheckKind::Http, config::CheckKind::Http});

    f.scheduler.run_due();
    CHECK(f.probers.starts(kIpA) == std::vector<TimePoint>{f.t0});
    CHECK(f.probers.starts(kIpB) == std::vector<TimePoint>{f.t0});
    CHECK(f.probers.started[0].target.to_string() == "http 10.0.0.1:8080 gateway/health");
    CHECK(f.runner->snapshot(0).check_in_flight);

    f.scheduler.advance(300ms);  // the checks take 300 ms
    f.probers.complete(kIpA, passed());
    f.probers.complete(kIpB, passed());
    CHECK_FALSE(f.runner->snapshot(0).check_in_flight);
    CHECK(f.events.checks.size() == 2);

    f.scheduler.advance(2s - 300ms - 1ms);
    CHECK(f.probers.starts(kIpA).size() == 1);
    CHECK(f.probers.starts(kIpB).size() == 1);
    f.scheduler.advance(1ms);
    CHECK(f.probers.starts(kIpA) == std::vector<TimePoint>{f.t0, f.t0 + 2s});
    CHECK(f.probers.starts(kIpB) == std::vector<TimePoint>{f.t0, f.t0 + 2s});

    // Quick checks: start to start is still the interval, not interval + latency.
    f.probers.reply(kIpA, passed(), 5ms);
    f.probers.reply(kIpB, passed(), 5ms);
    f.probers.complete(kIpA, passed());
    f.probers.complete(kIpB, passed());
    f.scheduler.advance(6s);
    CHECK(f.probers.starts(kIpA) ==
          std::vector<TimePoint>{f.t0, f.t0 + 2s, f.t0 + 4s, f.t0 + 6s, f.t0 + 8s});
    CHECK(f.probers.starts(kIpB).size() == 5);
    CHECK(f.runner->snapshot(0).checks == 4);  // the one started at 8 s is still in flight
}

TEST_CASE("health runner timing: a check still in flight delays the next one, never overlaps",
          "[component][control]") {
    Fixture f;
    f.probers.reply(kIpB, passed(), 10ms);
    f.scheduler.run_due();
    REQUIRE(f.probers.in_flight(kIpA) == 1);

    // site-a hangs past two deadlines; site-b keeps its own schedule meanwhile.
    f.scheduler.advance(5s);
    CHECK(f.probers.starts(kIpA) == std::vector<TimePoint>{f.t0});
    CHECK(f.probers.in_flight(kIpA) == 1);
    CHECK(f.probers.starts(kIpB) == std::vector<TimePoint>{f.t0, f.t0 + 2s, f.t0 + 4s});
    CHECK(f.runner->health(1) == Health::Up);
    CHECK(f.runner->health(0) == Health::Unknown);
    CHECK(f.runner->snapshot(0).check_in_flight);
    CHECK(f.runner->snapshot(0).checks == 0);

    // It finishes at 5 s: the next check is overdue, so it starts at once, at 5 s.
    f.probers.complete(kIpA, http_503());
    f.scheduler.run_due();
    CHECK(f.probers.starts(kIpA) == std::vector<TimePoint>{f.t0, f.t0 + 5s});
    CHECK(f.probers.in_flight(kIpA) == 1);
    // ... and the one after that comes an interval after this start.
    f.probers.complete(kIpA, http_503());
    f.scheduler.advance(2s - 1ms);
    CHECK(f.probers.starts(kIpA).size() == 2);
    f.scheduler.advance(1ms);
    CHECK(f.probers.starts(kIpA) == std::vector<TimePoint>{f.t0, f.t0 + 5s, f.t0 + 7s});
    CHECK(f.runner->snapshot(0).checks == 2);
    CHECK(f.runner->snapshot(0).checks_failed == 2);
    CHECK(f.runner->snapshot(0).last_check_at == f.t0 + 5s);
}

TEST_CASE("health runner timing: rise and fall streaks give exactly one change each",
          "[component][control]") {
    Fixture f;
    f.probers.reply(kIpB, passed());
    f.scheduler.run_due();

    f.probers.complete(kIpA, passed());
    CHECK(f.runner->health(0) == Health::Unknown);
    f.scheduler.advance(2s);
    f.probers.complete(kIpA, passed());  // rise = 2
    CHECK(f.runner->health(0) == Health::Up);
    const auto a_changes = [&f] {
        std::vector<health::HealthChange> out;
        for (const auto& c : f.events.changes)
            if (c.site == 0) out.push_back(c.change);
        return out;
    };
    REQUIRE(a_changes().size() == 1);
    CHECK(a_changes()[0] == health::HealthChange{.from = Health::Unknown,
                                                 .to = Health::Up,
                                                 .reason = "http 200",
                                                 .cause = CheckCause::Passed});
    CHECK(f.runner->snapshot(0).last_change == f.t0 + 2s);

    // More successes: no change. Two failures and a success: no change (fall = 3).
    for (const CheckResult& result : {passed(), http_503(), http_503(), passed()}) {
        f.scheduler.advance(2s);
        f.probers.complete(kIpA, result);
    }
    CHECK(a_changes().size() == 1);
    CHECK(f.runner->health(0) == Health::Up);

    // Three failures in a row: down once, with the completing check's words and cause.
    for (const CheckResult& result : {http_503(), http_503(), refused(), refused()}) {
        f.scheduler.advance(2s);
        f.probers.complete(kIpA, result);
    }
    CHECK(f.runner->health(0) == Health::Down);
    REQUIRE(a_changes().size() == 2);
    CHECK(a_changes()[1] == health::HealthChange{.from = Health::Up,
                                                 .to = Health::Down,
                                                 .reason = "connect refused",
                                                 .cause = CheckCause::ConnectRefused});

    const health::SiteSnapshot snapshot = f.runner->snapshot(0);
    CHECK(snapshot.checks == 10);
    CHECK(snapshot.checks_failed == 6);
    CHECK(snapshot.health_changes == 2);
    CHECK(snapshot.consecutive_failures == 4);
    CHECK(snapshot.consecutive_successes == 0);
    CHECK(snapshot.last_change == f.t0 + 16s);
    CHECK(snapshot.last_check_at == f.t0 + 18s);
    REQUIRE(snapshot.last_check.has_value());
    CHECK(snapshot.last_check->cause == CheckCause::ConnectRefused);
    CHECK(snapshot.passive_failures == 0);

    // site-b went Up exactly once on its own schedule.
    std::size_t b_changes = 0;
    for (const auto& c : f.events.changes)
        if (c.site == 1) ++b_changes;
    CHECK(b_changes == 1);
    CHECK(f.runner->snapshot(1).health_changes == 1);
}

TEST_CASE("health runner timing: passive failures bring a site down after fall in a row over "
          "passive_window",
          "[component][control]") {
    Fixture f;
    f.config.sites[0].health.passive_window = 300ms;
    f.runner->update(f.config);
    f.bring_both_up();
    const std::uint64_t checks_before = f.runner->snapshot(0).checks;

    f.scheduler.advance(100ms);  // between two active checks
    f.runner->record_passive_failure(0, CheckCause::ConnectTimeout, "connect timeout", 0);
    f.runner->record_passive_failure(0, CheckCause::ConnectRefused, "connect refused", 0);
    f.runner->record_passive_failure(0, CheckCause::ConnectRefused, "connect refused", 0);
    CHECK(f.events.changes.empty());  // fall = 3 in a row, but over no time yet
    f.scheduler.advance(299ms);
    f.runner->record_passive_failure(0, CheckCause::ConnectRefused, "connect refused", 0);
    CHECK(f.runner->health(0) == Health::Up);
    f.scheduler.advance(1ms);
    f.runner->record_passive_failure(0, CheckCause::ConnectRefused, "connect refused", 0);

    CHECK(f.runner->health(0) == Health::Down);
    REQUIRE(f.events.changes.size() == 1);
    CHECK(f.events.changes[0].site == 0);
    CHECK(f.events.changes[0].change ==
          health::HealthChange{
              .from = Health::Up,
              .to = Health::Down,
              .reason = "passive: connect refused (5 failed connects in a row over 300ms)",
              .cause = CheckCause::ConnectRefused});
    const health::SiteSnapshot snapshot = f.runner->snapshot(0);
    CHECK(snapshot.passive_failures == 5);
    CHECK(snapshot.checks == checks_before);  // passive failures are not active checks
    CHECK(snapshot.checks_failed == 0);
    CHECK(snapshot.last_change == f.t0 + 2s + 400ms);
    REQUIRE(snapshot.last_result.has_value());
    CHECK(snapshot.last_result->passive());
    CHECK(f.events.checks.empty());  // no check completed: passive ones are not reported as such
    CHECK(f.runner->health(1) == Health::Up);
    CHECK(f.runner->snapshot(1).passive_failures == 0);

    // One passing active check does not bring it back (rise = 2).
    f.scheduler.advance(1600ms);
    f.probers.complete(kIpA, passed());
    CHECK(f.runner->health(0) == Health::Down);
}

TEST_CASE("health runner timing: an inconclusive check counts neither way",
          "[component][control]") {
    Fixture f;
    f.bring_both_up();
    f.scheduler.advance(2s);
    f.probers.complete(kIpA, http_503());
    f.probers.complete(kIpB, passed());
    const health::SiteSnapshot before = f.runner->snapshot(0);
    REQUIRE(before.consecutive_failures == 1);

    f.scheduler.advance(2s);
    f.scheduler.advance(40ms);
    f.probers.complete(kIpA, out_of_fds());

    const health::SiteSnapshot after = f.runner->snapshot(0);
    CHECK(after.health == Health::Up);
    CHECK(after.consecutive_failures == 1);  // the streak neither grew nor broke
    CHECK(after.checks == before.checks);
    CHECK(after.checks_failed == before.checks_failed);
    CHECK(after.health_changes == before.health_changes);
    REQUIRE(after.last_check.has_value());
    CHECK(after.last_check->inconclusive);
    CHECK(after.last_check->cause == CheckCause::SocketError);
    CHECK(after.last_check->reason == "socket: too many open files");
    CHECK(after.last_check_at == f.t0 + 6s + 40ms);
    REQUIRE(after.last_result.has_value());
    CHECK(after.last_result->cause == CheckCause::BadStatus);  // the last verdict stays
    CHECK_FALSE(after.check_in_flight);
    REQUIRE_FALSE(f.events.checks.empty());
    CHECK(f.events.checks.back().first == 0);
    CHECK(f.events.checks.back().second.inconclusive);

    // Two more failures complete the fall streak of three: the inconclusive one did not reset it.
    f.scheduler.advance(2s);
    f.probers.complete(kIpA, http_503());
    CHECK(f.runner->health(0) == Health::Up);
    f.scheduler.advance(2s);
    f.probers.complete(kIpA, http_503());
    CHECK(f.runner->health(0) == Health::Down);
    CHECK(f.runner->snapshot(0).checks == before.checks + 2);
}

TEST_CASE("health runner timing: update() keeps surviving sites, re-targets changed ones",
          "[component][control]") {
    Fixture f;
    f.bring_both_up();
    f.scheduler.advance(2s);  // t0 + 4s: both checks in flight
    REQUIRE(f.probers.in_flight(kIpA) == 1);
    REQUIRE(f.probers.in_flight(kIpB) == 1);
    f.probers.complete(kIpB, passed());
    const health::SiteSnapshot a_before = f.runner->snapshot(0);
    const health::SiteSnapshot b_before = f.runner->snapshot(1);
    const std::size_t probers_before = f.probers.kinds_made.size();

    f.scheduler.advance(500ms);  // t0 + 4.5s
    config::Config next = two_sites();
    next.sites[0].health.port = 9090;  // site-a: new target, its check in flight is abandoned
    next.sites[0].health.rise = 3;
    next.sites[1].health.interval = 5s;  // site-b: same target, new interval
    next.sites.push_back(make_site("site-c", config::SiteRole::Standby, kIpC));
    f.runner->update(next);

    REQUIRE(f.runner->site_count() == 3);
    CHECK(f.probers.cancelled == 1);
    CHECK(f.probers.in_flight(kIpA) == 0);
    CHECK(f.runner->target(0) == "http 10.0.0.1:9090 gateway/health");
    CHECK(f.probers.kinds_made.size() == probers_before + 2);  // site-a's new one and site-c's

    const health::SiteSnapshot a_after = f.runner->snapshot(0);
    CHECK(a_after.health == Health::Up);
    CHECK(a_after.checks == a_before.checks);
    CHECK(a_after.health_changes == a_before.health_changes);
    CHECK(a_after.last_change == a_before.last_change);
    CHECK(a_after.rise == 3);
    CHECK_FALSE(a_after.check_in_flight);
    const health::SiteSnapshot b_after = f.runner->snapshot(1);
    CHECK(b_after.health == Health::Up);
    CHECK(b_after.checks == b_before.checks);
    CHECK(f.runner->name(2) == "site-c");
    CHECK(f.runner->health(2) == Health::Unknown);
    CHECK(f.events.changes.empty());

    f.scheduler.run_due();  // site-c is checked at once; site-a waits for its interval
    CHECK(f.probers.starts(kIpC) == std::vector<TimePoint>{f.t0 + 4500ms});
    CHECK(f.probers.starts(kIpA).size() == 3);

    // site-a: due at its last start + interval (t0 + 6s), on the new port.
    f.scheduler.advance(1500ms - 1ms);
    CHECK(f.probers.starts(kIpA).size() == 3);
    f.scheduler.advance(1ms);
    REQUIRE(f.probers.starts(kIpA).size() == 4);
    CHECK(f.probers.started.back().target.address.port() == 9090);
    // site-b: due at its last start + the new interval (t0 + 9s), not t0 + 6s.
    CHECK(f.probers.starts(kIpB).size() == 3);
    f.scheduler.advance(3s - 1ms);
    CHECK(f.probers.starts(kIpB).size() == 3);
    f.scheduler.advance(1ms);
    CHECK(f.probers.starts(kIpB).back() == f.t0 + 9s);
}

TEST_CASE("health runner timing: update() drops removed sites and cancels their checks",
          "[component][control]") {
    Fixture f;
    f.scheduler.run_due();
    REQUIRE(f.probers.in_flight(kIpB) == 1);
    config::Config next = two_sites();
    next.sites[1] = make_site("site-c", config::SiteRole::Standby, kIpC);
    f.runner->update(next);
    CHECK(f.probers.cancelled == 1);  // site-b's check
    CHECK(f.probers.in_flight(kIpB) == 0);
    CHECK(f.probers.in_flight(kIpA) == 1);  // unchanged site-a: its check carries on
    f.probers.complete(kIpA, passed());
    CHECK(f.runner->snapshot(0).checks == 1);
    f.scheduler.advance(10s);
    CHECK(f.probers.starts(kIpB).size() == 1);
    CHECK(f.probers.starts(kIpC) == std::vector<TimePoint>{f.t0});
}

TEST_CASE("health runner timing: stop() cancels every check and timer", "[component][control]") {
    Fixture f;
    f.probers.reply(kIpB, passed());
    f.scheduler.run_due();
    REQUIRE(f.probers.in_flight(kIpA) == 1);
    const std::size_t started = f.probers.started.size();

    f.runner->stop();
    CHECK(f.probers.cancelled == 1);  // site-a's check in flight
    CHECK(f.probers.in_flight(kIpA) == 0);
    CHECK(f.scheduler.armed_count() == 0);
    f.scheduler.advance(1min);
    CHECK(f.probers.started.size() == started);
    f.runner->record_passive_failure(0, CheckCause::ConnectRefused, "after stop", 0);
    CHECK(f.events.changes.empty());
    f.runner->stop();  // idempotent
    CHECK(f.runner->site_count() == 0);
}

}  // namespace
}  // namespace lb::test
