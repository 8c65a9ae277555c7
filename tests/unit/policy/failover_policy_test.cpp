// FailoverPolicy, one rule per test, with time as plain TimePoint values (no clock, no sleeps).
// Invariant checked throughout: the active site moves only for a reason, and the epoch with it.
#include "lb/policy/failover_policy.h"

#include <catch2/catch.hpp>
#include <vector>

namespace lb::policy {
namespace {

using namespace std::chrono_literals;

constexpr SiteIndex kA = kPrimary;  // "site-a"
constexpr SiteIndex kB = kStandby;  // "site-b"
const TimePoint kStart{};

config::Policy manual_failback() { return {}; }  // the defaults: manual, 60s, retry on

config::Policy auto_failback(Duration after = 60s) {
    config::Policy settings;
    settings.failback = config::Failback::Auto;
    settings.failback_after = after;
    return settings;
}

FailoverPolicy make_policy(const config::Policy& settings = manual_failback(),
                           Decision initial = {}) {
    return FailoverPolicy({"site-a", "site-b"}, settings, initial);
}

// Both sites up, primary active: the steady state most tests start from.
FailoverPolicy healthy_policy(const config::Policy& settings = manual_failback()) {
    FailoverPolicy policy = make_policy(settings);
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart));
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart));
    return policy;
}

// The usual failover: the primary goes down, the standby takes over (epoch 1).
FailoverPolicy failed_over_policy(const config::Policy& settings = manual_failback()) {
    FailoverPolicy policy = healthy_policy(settings);
    const auto change = policy.on_health(kA, SiteHealth::Down, kStart + 1s);
    REQUIRE(change);
    REQUIRE(policy.active() == kB);
    return policy;
}

TEST_CASE("the policy starts on the primary with both sites unknown", "[unit][policy]") {
    const FailoverPolicy policy = make_policy();
    CHECK(policy.decision() == Decision{kA, std::nullopt, 0});
    CHECK(policy.health(kA) == SiteHealth::Unknown);
    CHECK(policy.health(kB) == SiteHealth::Unknown);
    CHECK(policy.admin_state(kA) == AdminState::Ready);
    CHECK_FALSE(policy.next_deadline());
    CHECK(policy.find_site("site-b") == kB);
    CHECK_FALSE(policy.find_site("site-c"));
}

TEST_CASE("a persisted decision on the standby is kept at start", "[unit][policy]") {
    FailoverPolicy policy = make_policy(manual_failback(), Decision{kB, std::nullopt, 7});
    CHECK(policy.decision() == Decision{kB, std::nullopt, 7});
    // The primary answers first: under manual failback that changes nothing.
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart));
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart));
    CHECK(policy.decision() == Decision{kB, std::nullopt, 7});
}

TEST_CASE("a persisted pin is kept at start", "[unit][policy]") {
    FailoverPolicy policy = make_policy(manual_failback(), Decision{kB, kB, 3});
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart));
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart));
    CHECK(policy.decision() == Decision{kB, kB, 3});
}

TEST_CASE("an inconsistent initial decision is repaired", "[unit][policy]") {
    CHECK(make_policy(manual_failback(), Decision{kA, kB, 4}).decision() == Decision{kB, kB, 4});
    CHECK(make_policy(manual_failback(), Decision{5, std::nullopt, 4}).active() == kA);
    CHECK(make_policy(manual_failback(), Decision{kB, 9, 4}).decision() ==
          Decision{kB, std::nullopt, 4});
}

TEST_CASE("unknown health is never a reason to fail over", "[unit][policy]") {
    FailoverPolicy policy = make_policy();
    SECTION("the standby answers first at start") {
        CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart));
        CHECK_FALSE(policy.on_tick(kStart + 10s));
    }
    SECTION("the standby is down and the primary not yet checked") {
        CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart));
    }
    SECTION("the active site is down but the other not yet checked") {
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart));
        CHECK(policy.active() == kA);
        const auto change = policy.on_health(kB, SiteHealth::Up, kStart + 1s);
        REQUIRE(change);  // ... until the other is up
        CHECK(change->to == kB);
        CHECK(change->reason == TransitionReason::Health);
    }
    SECTION("a health input of Unknown is accepted and changes nothing") {
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Unknown, kStart));
    }
    CHECK(policy.decision().epoch <= 1);
}

TEST_CASE("active down and other up fails over once", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    const auto change = policy.on_health(kA, SiteHealth::Down, kStart + 1s, "connect refused ×3");
    REQUIRE(change);
    CHECK(change->from == kA);
    CHECK(change->to == kB);
    CHECK(change->reason == TransitionReason::Health);
    CHECK(change->is_failover());
    CHECK(change->detail == "site-a down (connect refused ×3); site-b up");
    CHECK(policy.decision() == Decision{kB, std::nullopt, 1});
    CHECK(policy.health_cause(kA) == "connect refused ×3");
    // Repeated verdicts are not new failovers.
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart + 2s));
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart + 2s));
    CHECK_FALSE(policy.on_tick(kStart + 1h));
    CHECK(policy.decision().epoch == 1);
}

TEST_CASE("manual failback: the standby stays active when the primary recovers", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy();
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 5s));
    CHECK_FALSE(policy.next_deadline());
    CHECK_FALSE(policy.on_tick(kStart + 24h));
    CHECK(policy.decision() == Decision{kB, std::nullopt, 1});
}

TEST_CASE("flapping sites do not ping-pong under manual failback", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy();
    TimePoint now = kStart + 2s;
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, now += 1s));
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, now += 1s));
    }
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, now += 1s));
    CHECK(policy.decision() == Decision{kB, std::nullopt, 1});
}

TEST_CASE("auto failback waits for the hold-down", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy(auto_failback(60s));
    CHECK_FALSE(policy.next_deadline());  // primary down: nothing to wait for
    const TimePoint recovered = kStart + 10s;
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, recovered));
    REQUIRE(policy.next_deadline() == recovered + 60s);
    CHECK_FALSE(policy.on_tick(recovered + 59s));
    const auto change = policy.on_tick(recovered + 60s);
    REQUIRE(change);
    CHECK(change->from == kB);
    CHECK(change->to == kA);
    CHECK(change->reason == TransitionReason::Failback);
    CHECK(change->detail == "site-a up for 1m (failback = auto); leaving site-b");
    CHECK(policy.decision() == Decision{kA, std::nullopt, 2});
    CHECK_FALSE(policy.next_deadline());
}

TEST_CASE("the hold-down restarts when the primary flaps", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy(auto_failback(60s));
    const TimePoint up = kStart + 10s;
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, up));
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, up + 30s));
    CHECK_FALSE(policy.next_deadline());
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, up + 40s));
    CHECK(policy.next_deadline() == up + 100s);
    CHECK_FALSE(policy.on_tick(up + 60s));  // the first deadline no longer counts
    CHECK(policy.active() == kB);
    REQUIRE(policy.on_tick(up + 100s));
    CHECK(policy.active() == kA);
}

TEST_CASE("auto failback with no hold-down happens on the recovery itself", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy(auto_failback(0s));
    const auto change = policy.on_health(kA, SiteHealth::Up, kStart + 5s);
    REQUIRE(change);
    CHECK(change->reason == TransitionReason::Failback);
}

TEST_CASE("the standby failing while the primary is up is a health failover, not a failback",
          "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy(auto_failback(60s));
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 5s));
    const auto change = policy.on_health(kB, SiteHealth::Down, kStart + 6s);
    REQUIRE(change);
    CHECK(change->reason == TransitionReason::Health);
    CHECK(change->to == kA);
    CHECK_FALSE(policy.next_deadline());
}

TEST_CASE("both sites down: stay, then the first one up wins", "[unit][policy]") {
    // The standby goes first, so that the primary has nowhere to go.
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart + 1s));
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart + 2s));
    CHECK(policy.decision() == Decision{kA, std::nullopt, 0});
    CHECK_FALSE(policy.on_tick(kStart + 1h));

    SECTION("the other site comes up first: switch to it") {
        const auto change = policy.on_health(kB, SiteHealth::Up, kStart + 3s);
        REQUIRE(change);
        CHECK(change->to == kB);
        CHECK(change->reason == TransitionReason::Health);
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 4s));
        CHECK(policy.active() == kB);
    }
    SECTION("the active site comes up first: stay") {
        CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 3s));
        CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart + 4s));
        CHECK(policy.decision() == Decision{kA, std::nullopt, 0});
    }
}

TEST_CASE("a pin overrides health until unpin", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    const CommandResult pinned = policy.pin(kB, kStart + 1s);
    CHECK(pinned.status == CommandStatus::Applied);
    REQUIRE(pinned.transition);
    CHECK(pinned.transition->reason == TransitionReason::Pin);
    CHECK(pinned.transition->from == kA);
    CHECK(pinned.transition->to == kB);
    CHECK(pinned.message == "pinned site-b by operator");
    CHECK(policy.decision() == Decision{kB, kB, 1});

    CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart + 2s));
    CHECK(policy.active() == kB);
    CHECK_FALSE(policy.retry_target(kB));  // the operator said site-b: no retries elsewhere
    CHECK(policy.pin(kB, kStart + 3s).status == CommandStatus::Unchanged);

    SECTION("unpin with the pinned site down and the other up: health moves it") {
        const CommandResult unpinned = policy.unpin(kStart + 4s);
        CHECK(unpinned.status == CommandStatus::Applied);
        REQUIRE(unpinned.transition);
        CHECK(unpinned.transition->to == kA);
        CHECK(unpinned.transition->reason == TransitionReason::Health);
        CHECK(unpinned.message == "unpinned site-b; site-b down; site-a up");
        CHECK(policy.decision() == Decision{kA, std::nullopt, 2});
    }
    SECTION("unpin with the pinned site up: it stays active") {
        CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart + 4s));
        const CommandResult unpinned = policy.unpin(kStart + 5s);
        REQUIRE(unpinned.transition);
        CHECK_FALSE(unpinned.transition->is_failover());
        CHECK(unpinned.transition->reason == TransitionReason::Pin);
        CHECK(policy.decision() == Decision{kB, std::nullopt, 2});
        CHECK(policy.unpin(kStart + 6s).status == CommandStatus::Unchanged);
    }
}

TEST_CASE("pinning the active site changes the epoch but is no failover", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    const CommandResult result = policy.pin(kA, kStart);
    REQUIRE(result.transition);
    CHECK_FALSE(result.transition->is_failover());
    CHECK(policy.decision() == Decision{kA, kA, 1});
    // Re-pinning to the other site moves, and says what it replaced.
    const CommandResult moved = policy.pin(kB, kStart + 1s);
    CHECK(moved.message == "pinned site-b by operator (was pinned to site-a)");
    CHECK(policy.decision() == Decision{kB, kB, 2});
}

TEST_CASE("pinning a down site is allowed with a warning", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart, "timeout"));
    const CommandResult result = policy.pin(kB, kStart + 1s);
    CHECK(result.status == CommandStatus::Applied);
    CHECK(result.message == "pinned site-b by operator; warning: site-b down (timeout)");
    CHECK(policy.active() == kB);
    CHECK(policy.pin(7, kStart).status == CommandStatus::Refused);
}

TEST_CASE("no auto failback while pinned, unpin starts the hold-down", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy(auto_failback(30s));
    REQUIRE(policy.pin(kB, kStart).transition);
    CHECK_FALSE(policy.next_deadline());
    CHECK_FALSE(policy.on_tick(kStart + 1h));
    CHECK(policy.active() == kB);
    const TimePoint unpinned = kStart + 2h;
    REQUIRE(policy.unpin(unpinned).transition);
    CHECK(policy.active() == kB);
    CHECK(policy.next_deadline() == unpinned + 30s);
    REQUIRE(policy.on_tick(unpinned + 30s));
    CHECK(policy.active() == kA);
}

TEST_CASE("the failback command", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy();

    const CommandResult refused = policy.failback(kStart + 2s);
    CHECK(refused.status == CommandStatus::Refused);
    CHECK_FALSE(refused.transition);
    CHECK(refused.message == "not failing back: site-a down; staying on site-b");
    CHECK(policy.active() == kB);

    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 3s));
    const CommandResult done = policy.failback(kStart + 4s);
    CHECK(done.status == CommandStatus::Applied);
    REQUIRE(done.transition);
    CHECK(done.transition->reason == TransitionReason::Failback);
    CHECK(done.transition->to == kA);
    CHECK(policy.decision() == Decision{kA, std::nullopt, 2});

    CHECK(policy.failback(kStart + 5s).status == CommandStatus::Unchanged);
}

TEST_CASE("the failback command is refused while pinned or while the primary is drained",
          "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    SECTION("pinned") {
        REQUIRE(policy.pin(kB, kStart).transition);
        const CommandResult result = policy.failback(kStart + 1s);
        CHECK(result.status == CommandStatus::Refused);
        CHECK(result.message == "site-b is pinned: unpin it first");
    }
    SECTION("primary in maint") {
        REQUIRE(policy.set_admin_state(kA, AdminState::Maint, kStart).transition);
        CHECK(policy.failback(kStart + 1s).status == CommandStatus::Refused);
    }
    CHECK(policy.active() == kB);
}

TEST_CASE("draining the active site moves to an up and ready other site", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    const CommandResult drained = policy.set_admin_state(kA, AdminState::Drain, kStart);
    CHECK(drained.status == CommandStatus::Applied);
    REQUIRE(drained.transition);
    CHECK(drained.transition->reason == TransitionReason::Admin);
    CHECK(drained.transition->detail == "site-a up, in drain; site-b up");
    CHECK(drained.message == "site-a set to drain; switched to site-b");
    CHECK_FALSE(policy.eligible(kA));
    CHECK_FALSE(policy.retry_target(kB));
    CHECK(policy.set_admin_state(kA, AdminState::Drain, kStart).status == CommandStatus::Unchanged);
    // Ready again: manual failback, so the standby keeps the traffic.
    CHECK_FALSE(policy.set_admin_state(kA, AdminState::Ready, kStart + 1s).transition);
    CHECK(policy.active() == kB);
    CHECK(policy.eligible(kA));
}

TEST_CASE("a drained active site stays active while the other is not usable", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart));
    const CommandResult result = policy.set_admin_state(kA, AdminState::Maint, kStart + 1s);
    CHECK(result.status == CommandStatus::Applied);
    CHECK_FALSE(result.transition);
    CHECK(result.message == "site-a set to maint; still active: site-b down");
    const auto change = policy.on_health(kB, SiteHealth::Up, kStart + 2s);
    REQUIRE(change);
    CHECK(change->reason == TransitionReason::Admin);
    CHECK(change->to == kB);
}

TEST_CASE("a drained standby is not a failover target", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.set_admin_state(kB, AdminState::Maint, kStart).transition);
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart + 1s));
    CHECK(policy.active() == kA);
    const CommandResult ready = policy.set_admin_state(kB, AdminState::Ready, kStart + 2s);
    REQUIRE(ready.transition);
    CHECK(ready.transition->reason == TransitionReason::Health);
    CHECK(policy.active() == kB);
}

TEST_CASE("an admin state change of a pinned site does not move it", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    REQUIRE(policy.pin(kA, kStart).transition);
    const CommandResult result = policy.set_admin_state(kA, AdminState::Drain, kStart);
    CHECK_FALSE(result.transition);
    CHECK(result.message == "site-a set to drain; still active: pinned");
    CHECK(policy.set_admin_state(2, AdminState::Drain, kStart).status == CommandStatus::Refused);
}

TEST_CASE("auto failback waits for the primary to be ready as well as up", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy(auto_failback(10s));
    CHECK_FALSE(policy.set_admin_state(kA, AdminState::Maint, kStart + 2s).transition);
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 3s));
    CHECK_FALSE(policy.next_deadline());
    const TimePoint ready = kStart + 1h;
    CHECK_FALSE(policy.set_admin_state(kA, AdminState::Ready, ready).transition);
    CHECK(policy.next_deadline() == ready + 10s);
}

TEST_CASE("retry_on_standby targets the other site only when it is up and ready",
          "[unit][policy]") {
    FailoverPolicy policy = make_policy();
    CHECK_FALSE(policy.retry_target(kA));  // standby not yet checked
    CHECK_FALSE(policy.on_health(kB, SiteHealth::Up, kStart));
    CHECK(policy.retry_target(kA) == kB);
    CHECK_FALSE(policy.retry_target(kB));  // primary unknown
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart));
    CHECK(policy.retry_target(kB) == kA);

    config::Policy no_retry = manual_failback();
    no_retry.retry_on_standby = false;
    CHECK_FALSE(policy.reconfigure(no_retry, kStart));
    CHECK_FALSE(policy.retry_target(kA));
}

TEST_CASE("reconfiguring to auto failback starts the hold-down", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy();
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Up, kStart + 2s));
    CHECK_FALSE(policy.reconfigure(auto_failback(5s), kStart + 10s));
    CHECK(policy.next_deadline() == kStart + 15s);
    CHECK(policy.on_tick(kStart + 15s));
}

TEST_CASE("adopt takes a peer's decision with a higher epoch only", "[unit][policy]") {
    FailoverPolicy policy = failed_over_policy();  // epoch 1, active site-b
    CHECK_FALSE(policy.adopt(Decision{kA, std::nullopt, 1}, kStart + 2s));  // same epoch
    CHECK_FALSE(policy.adopt(Decision{kA, kA, 0}, kStart + 2s));            // older
    CHECK_FALSE(policy.adopt(Decision{3, std::nullopt, 9}, kStart + 2s));   // malformed
    CHECK_FALSE(policy.adopt(Decision{kA, kB, 9}, kStart + 2s));            // pin elsewhere
    CHECK(policy.decision() == Decision{kB, std::nullopt, 1});

    const auto change = policy.adopt(Decision{kA, kA, 5}, kStart + 3s);
    REQUIRE(change);
    CHECK(change->reason == TransitionReason::Peer);
    CHECK(change->from == kB);
    CHECK(change->to == kA);
    CHECK(change->detail == "adopted the peer's decision (epoch 5): active site-a, pinned");
    CHECK(policy.decision() == Decision{kA, kA, 5});
    // Our own next change continues from the adopted epoch.
    REQUIRE(policy.unpin(kStart + 4s).transition);
    CHECK(policy.decision().epoch == 6);
}

TEST_CASE("the epoch grows by one with every change and only then", "[unit][policy]") {
    FailoverPolicy policy = make_policy(auto_failback(10s));
    TimePoint now = kStart;
    int changes = 0;
    // Called after each input: the epoch must equal the number of transitions so far.
    const auto step = [&](const std::optional<Transition>& change) {
        changes += change ? 1 : 0;
        CHECK(policy.decision().epoch == static_cast<std::uint64_t>(changes));
    };
    step(policy.on_health(kA, SiteHealth::Up, now));
    step(policy.on_health(kB, SiteHealth::Up, now));
    step(policy.on_health(kA, SiteHealth::Down, now += 1s));  // health
    step(policy.on_health(kA, SiteHealth::Up, now += 1s));
    step(policy.on_tick(now += 10s));                                     // auto failback
    step(policy.pin(kA, now).transition);                                 // pin, same site
    step(policy.pin(kB, now).transition);                                 // pin, other site
    step(policy.pin(kB, now).transition);                                 // unchanged
    step(policy.unpin(now).transition);                                   // unpin, stays
    step(policy.on_tick(now += 10s));                                     // auto failback again
    step(policy.set_admin_state(kA, AdminState::Drain, now).transition);  // admin
    step(policy.set_admin_state(kA, AdminState::Ready, now).transition);  // no change
    step(policy.failback(now).transition);                                // manual failback
    step(policy.adopt(Decision{kA, std::nullopt, 3}, now));               // older: ignored
    CHECK(changes == 8);

    // A peer's higher epoch is taken as is; local changes continue from it.
    REQUIRE(policy.adopt(Decision{kB, std::nullopt, 20}, now));
    CHECK(policy.decision().epoch == 20);
    REQUIRE(policy.on_health(kB, SiteHealth::Down, now));
    CHECK(policy.decision() == Decision{kA, std::nullopt, 21});
}

}  // namespace
}  // namespace lb::policy

namespace lb::policy {
namespace {

TEST_CASE("a follower records health but decides nothing, and leads on what it recorded",
          "[unit][policy][peer]") {
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.set_follower(true, kStart));
    CHECK(policy.follower());
    // The primary fails while this instance is the pair's BACKUP: no failover here.
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart + 1s));
    CHECK(policy.active() == kA);
    CHECK(policy.health(kA) == SiteHealth::Down);
    CHECK(policy.decision().epoch == 0);
    // Drain of the active site: recorded, still no move.
    CHECK(policy.set_admin_state(kA, AdminState::Drain, kStart + 2s).status !=
          CommandStatus::Refused);
    CHECK(policy.active() == kA);
    // pin, unpin and failback belong to the MASTER.
    for (const CommandResult& refused :
         {policy.pin(kB, kStart + 3s), policy.unpin(kStart + 3s), policy.failback(kStart + 3s)}) {
        CHECK(refused.status == CommandStatus::Refused);
        CHECK(refused.message.find("MASTER") != std::string::npos);
        CHECK_FALSE(refused.transition);
    }
    // The master's decision is still taken whole.
    const auto adopted = policy.adopt(Decision{kA, std::nullopt, 5}, kStart + 4s);
    REQUIRE(adopted);
    CHECK(policy.decision().epoch == 5);
    // Leading again: the recorded state is judged at once (primary down → standby, epoch 6).
    const auto led = policy.set_follower(false, kStart + 5s);
    REQUIRE(led);
    CHECK(led->from == kA);
    CHECK(led->to == kB);
    CHECK(policy.decision() == Decision{kB, std::nullopt, 6});
    CHECK(policy.pin(kA, kStart + 6s).status != CommandStatus::Refused);
}


TEST_CASE("a health failover waits for a passing check of the standby when its checks fail too",
          "[unit][policy]") {
    // Cut off from both sites (this instance's own network), both sites' checks fail together:
    // the primary's streak completes first, while the standby is still up on older checks.
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.on_check(kA, false, kStart + 100ms));
    CHECK_FALSE(policy.on_check(kB, false, kStart + 150ms));
    CHECK_FALSE(policy.on_health(kA, SiteHealth::Down, kStart + 300ms, "timeout ×3"));
    CHECK(policy.active() == kA);
    CHECK(policy.decision().epoch == 0);

    SECTION("the standby goes down too: no move, ever") {
        CHECK_FALSE(policy.on_check(kB, false, kStart + 350ms));
        CHECK_FALSE(policy.on_health(kB, SiteHealth::Down, kStart + 350ms, "timeout ×3"));
        CHECK_FALSE(policy.on_tick(kStart + 10s));
        CHECK(policy.active() == kA);
        CHECK(policy.decision().epoch == 0);
    }
    SECTION("the standby passes its next check: the failover happens then") {
        const auto change = policy.on_check(kB, true, kStart + 400ms);
        REQUIRE(change);
        CHECK(change->from == kA);
        CHECK(change->to == kB);
        CHECK(change->reason == TransitionReason::Health);
        CHECK(policy.decision().epoch == 1);
    }
    SECTION("maint on the down active site is still a health move, and waits too") {
        const auto result = policy.set_admin_state(kA, AdminState::Maint, kStart + 400ms);
        CHECK(result.status == CommandStatus::Applied);
        CHECK(policy.active() == kA);
    }
}

TEST_CASE("a drain moves to an up standby whatever its last check said", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    CHECK_FALSE(policy.on_check(kB, false, kStart + 100ms));
    const auto result = policy.set_admin_state(kA, AdminState::Drain, kStart + 200ms);
    REQUIRE(result.transition);
    CHECK(policy.active() == kB);
}

TEST_CASE("a passing standby check alone never moves a healthy active site", "[unit][policy]") {
    FailoverPolicy policy = healthy_policy();
    for (int i = 0; i < 5; ++i) {
        CHECK_FALSE(policy.on_check(kB, true, kStart + i * 100ms));
        CHECK_FALSE(policy.on_check(kA, i % 2 == 0, kStart + i * 100ms));
    }
    CHECK(policy.active() == kA);
    CHECK(policy.decision().epoch == 0);
}

}  // namespace
}  // namespace lb::policy
