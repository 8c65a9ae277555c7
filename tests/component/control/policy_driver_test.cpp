// PolicyDriver on manual time and a real state file: what it publishes to the workers
// (ActiveSite), what it persists, what it tells its observers, and that its hold-down timer lives
// on the Scheduler. Invariant checked throughout: the three views (policy(), ActiveSite, the
// state file) agree after every input, and nothing moves without a reason.
#include "lb/control/policy_driver.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/manual_scheduler.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using policy::AdminState;
using policy::CommandStatus;
using policy::Decision;
using policy::kPrimary;
using policy::kStandby;
using policy::LoadStatus;
using policy::SiteHealth;
using policy::TransitionReason;

config::Site make_site(std::string name, config::SiteRole role, const char* ip) {
    config::Site site;
    site.name = std::move(name);
    site.role = role;
    site.address = *SocketAddress::parse_ip(ip);
    return site;
}

config::Config two_sites(const fs::path& state_file, const config::Policy& settings = {},
                         std::string primary = "site-a", std::string standby = "site-b") {
    config::Config config;
    config.global.state_file = state_file.string();
    config.policy = settings;
    config.sites = {make_site(std::move(primary), config::SiteRole::Primary, "10.0.0.1"),
                    make_site(std::move(standby), config::SiteRole::Standby, "10.0.0.2")};
    return config;
}

config::Policy auto_failback(Duration after = 60s) {
    config::Policy settings;
    settings.failback = config::Failback::Auto;
    settings.failback_after = after;
    return settings;
}

// What the workers see, as one comparable line: "active 1, epoch 3, retry {0,1}".
std::string seen_by_workers(const ActiveSite& active_site) {
    const SiteSnapshot snapshot = active_site.read();
    std::string text = "active " + std::to_string(snapshot.active) + ", epoch " +
                       std::to_string(snapshot.epoch) + ", retry {";
    for (std::size_t site = 0; site < 8; ++site)
        if (snapshot.eligible(site)) {
            if (text.back() != '{') text += ",";
            text += std::to_string(site);
        }
    return text + "}";
}

// One observer call, with what the other views said at that moment.
struct Notification {
    std::optional<policy::Transition> transition;  // nullopt: the starting decision (or reload)
    Decision decision;
    std::string published;
    policy::LoadedState persisted;
};

// A driver on manual time with its state file in a fresh directory.
struct Fixture {
    TempDir dir{"sitelb-policy-driver"};
    fs::path state_path = dir.path() / "state.json";
    ManualScheduler scheduler;
    ActiveSite active_site;
    config::Config config;
    std::unique_ptr<PolicyDriver> driver;
    std::vector<Notification> notifications;

    explicit Fixture(const config::Policy& settings = {})
        : config(two_sites(state_path, settings)) {
        driver = std::make_unique<PolicyDriver>(scheduler, config, active_site);
        driver->add_observer([this](const PolicyDriver& d, const policy::Transition* change) {
            notifications.push_back(
                {change ? std::optional(*change) : std::nullopt, d.policy().decision(),
                 seen_by_workers(active_site),
                 persisted(d.policy().site_name(kPrimary), d.policy().site_name(kStandby))});
        });
    }

    // The state file as a fresh reader (a restarted daemon) sees it.
    [[nodiscard]] policy::LoadedState persisted(std::string primary = "site-a",
                                                std::string standby = "site-b") const {
        return policy::StateFile(state_path, {std::move(primary), std::move(standby)}).load();
    }

    // Both sites up, the primary active: the usual steady state.
    void start_healthy() {
        driver->start();
        driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
        driver->on_site_health(kStandby, SiteHealth::Up, "http 200");
        REQUIRE(driver->policy().decision() == Decision{kPrimary, std::nullopt, 0});
    }

    // The primary fails, the standby takes over (epoch 1).
    void fail_over() {
        driver->on_site_health(kPrimary, SiteHealth::Down, "connect refused ×3");
        REQUIRE(driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    }
};

TEST_CASE("policy driver: start publishes the persisted decision", "[component][control]") {
    Fixture f;
    REQUIRE(policy::StateFile(f.state_path, {"site-a", "site-b"})
                .save(Decision{kStandby, kStandby, 7}) == std::nullopt);

    f.driver->start();

    CHECK(f.driver->policy().decision() == Decision{kStandby, kStandby, 7});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 7, retry {}");
    REQUIRE(f.notifications.size() == 1);
    CHECK_FALSE(f.notifications[0].transition.has_value());
    CHECK(f.notifications[0].published == "active 1, epoch 7, retry {}");
    CHECK(f.driver->failovers() == 0);
    CHECK(f.driver->last_transition().empty());
    // A pin read from the file holds against health.
    f.driver->on_site_health(kStandby, SiteHealth::Down, "connect refused");
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 7, retry {}");
}

TEST_CASE("policy driver: a hand-written state file on the standby is honoured",
          "[component][control]") {
    Fixture f;
    write_file(f.state_path, R"({"epoch": 12, "active": "site-b"})");
    f.driver->start();
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 12});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 12, retry {}");
    // Manual failback: the primary answering first changes nothing.
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    f.driver->on_site_health(kStandby, SiteHealth::Up, "http 200");
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 12, retry {0,1}");
}

TEST_CASE("policy driver: a missing or corrupt state file starts on the primary",
          "[component][control]") {
    Fixture f;
    // Whatever the workers held before start() must be replaced, not kept.
    f.active_site.publish(SiteSnapshot{.active = 1, .retry_eligible = 3, .epoch = 42});
    std::string corrupt;
    SECTION("missing") {}
    SECTION("corrupt") {
        corrupt = "{\"active\":\"site-b\",\"epoch\":";
        write_file(f.state_path, corrupt);
    }
    SECTION("names a site that is not configured") {
        corrupt = "{\"active\":\"site-x\",\"pinned\":null,\"epoch\":3}\n";
        write_file(f.state_path, corrupt);
    }

    f.driver->start();

    CHECK(f.driver->policy().decision() == Decision{kPrimary, std::nullopt, 0});
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 0, retry {}");
    REQUIRE(f.notifications.size() == 1);
    CHECK_FALSE(f.notifications[0].transition.has_value());
    if (corrupt.empty())
        CHECK_FALSE(fs::exists(f.state_path));  // start() never writes
    else
        CHECK(read_file(f.state_path) == corrupt);  // left for the operator to inspect
}

TEST_CASE("policy driver: a health failover publishes, persists and notifies",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 0, retry {0,1}");
    CHECK(f.notifications.size() == 1);  // the start only: health alone changed no decision

    f.driver->on_site_health(kPrimary, SiteHealth::Down, "connect refused ×3");

    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {1}");
    CHECK(f.driver->failovers() == 1);
    CHECK(f.driver->last_transition() ==
          "site-a -> site-b (health): site-a down (connect refused ×3); site-b up (http 200)");

    const policy::LoadedState on_disk = f.persisted();
    CHECK(on_disk.status == LoadStatus::Loaded);
    CHECK(on_disk.decision == Decision{kStandby, std::nullopt, 1});

    REQUIRE(f.notifications.size() == 2);
    const Notification& seen = f.notifications[1];
    REQUIRE(seen.transition.has_value());
    CHECK(seen.transition->from == kPrimary);
    CHECK(seen.transition->to == kStandby);
    CHECK(seen.transition->reason == TransitionReason::Health);
    CHECK(seen.transition->detail == "site-a down (connect refused ×3); site-b up (http 200)");
    // Observers run after the workers have the decision and the file holds it.
    CHECK(seen.decision == Decision{kStandby, std::nullopt, 1});
    CHECK(seen.published == "active 1, epoch 1, retry {1}");
    CHECK(seen.persisted.decision == Decision{kStandby, std::nullopt, 1});

    // A restart starts where the driver left off.
    ManualScheduler later;
    ActiveSite restarted_view;
    PolicyDriver restarted(later, f.config, restarted_view);
    restarted.start();
    CHECK(restarted.policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(restarted_view) == "active 1, epoch 1, retry {}");
}

TEST_CASE("policy driver: failback = manual stays on the standby when the primary recovers",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    f.fail_over();
    const std::string file_before = read_file(f.state_path);

    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    CHECK(f.scheduler.armed_count() == 0);  // no hold-down under manual failback
    f.scheduler.advance(24h);

    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {0,1}");
    CHECK(f.driver->failovers() == 1);
    CHECK(f.notifications.size() == 2);
    CHECK(read_file(f.state_path) == file_before);

    // The operator brings it back.
    const auto result = f.driver->failback();
    CHECK(result.status == CommandStatus::Applied);
    CHECK(f.driver->policy().decision() == Decision{kPrimary, std::nullopt, 2});
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 2, retry {0,1}");
    CHECK(f.persisted().decision == Decision{kPrimary, std::nullopt, 2});
    CHECK(f.driver->failovers() == 2);
    REQUIRE(f.notifications.size() == 3);
    REQUIRE(f.notifications[2].transition.has_value());
    CHECK(f.notifications[2].transition->reason == TransitionReason::Failback);
}

TEST_CASE("policy driver: auto failback waits failback_after on the scheduler",
          "[component][control]") {
    Fixture f(auto_failback(60s));
    f.start_healthy();
    f.fail_over();
    CHECK(f.scheduler.armed_count() == 0);  // primary down: nothing to wait for

    f.scheduler.advance(5s);
    const TimePoint recovered = f.scheduler.now();
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    CHECK(f.scheduler.next_deadline() == recovered + 60s);
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});

    f.scheduler.advance(59s);
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {0,1}");
    CHECK(f.notifications.size() == 2);

    f.scheduler.advance(1s);
    CHECK(f.driver->policy().decision() == Decision{kPrimary, std::nullopt, 2});
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 2, retry {0,1}");
    CHECK(f.persisted().decision == Decision{kPrimary, std::nullopt, 2});
    CHECK(f.driver->failovers() == 2);
    REQUIRE(f.notifications.size() == 3);
    REQUIRE(f.notifications[2].transition.has_value());
    CHECK(f.notifications[2].transition->from == kStandby);
    CHECK(f.notifications[2].transition->to == kPrimary);
    CHECK(f.notifications[2].transition->reason == TransitionReason::Failback);
    CHECK(f.driver->last_transition() ==
          "site-b -> site-a (failback): site-a up (http 200) for 1m (failback = auto); "
          "leaving site-b");
    CHECK(f.scheduler.armed_count() == 0);
}

TEST_CASE("policy driver: a primary blip during the hold-down restarts it",
          "[component][control]") {
    Fixture f(auto_failback(60s));
    f.start_healthy();
    f.fail_over();
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    f.scheduler.advance(30s);

    f.driver->on_site_health(kPrimary, SiteHealth::Down, "http 503");
    CHECK(f.scheduler.armed_count() == 0);
    f.scheduler.advance(10s);
    const TimePoint back = f.scheduler.now();
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    CHECK(f.scheduler.next_deadline() == back + 60s);

    f.scheduler.advance(59s);  // 99 s after the first recovery: the old deadline has passed
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {0,1}");
    CHECK(f.driver->failovers() == 1);

    f.scheduler.advance(1s);
    CHECK(f.driver->policy().decision() == Decision{kPrimary, std::nullopt, 2});
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 2, retry {0,1}");
    CHECK(f.driver->failovers() == 2);
}

TEST_CASE("policy driver: stop() cancels the hold-down", "[component][control]") {
    Fixture f(auto_failback(60s));
    f.start_healthy();
    f.fail_over();
    f.driver->on_site_health(kPrimary, SiteHealth::Up, "http 200");
    REQUIRE(f.scheduler.armed_count() == 1);
    f.driver->stop();
    CHECK(f.scheduler.armed_count() == 0);
    f.scheduler.advance(2min);
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {0,1}");
}

TEST_CASE("policy driver: reconfigure keeps the active site, the pin and admin states",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    REQUIRE(f.driver->pin(kStandby).status == CommandStatus::Applied);
    REQUIRE(f.driver->set_admin_state(kPrimary, AdminState::Drain).status ==
            CommandStatus::Applied);
    REQUIRE(f.driver->policy().decision() == Decision{kStandby, kStandby, 1});
    REQUIRE(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {}");
    const std::size_t notified = f.notifications.size();

    SECTION("same sites, new [policy]") {
        config::Config next = two_sites(f.state_path, auto_failback(10s));
        next.policy.retry_on_standby = false;
        f.driver->reconfigure(next);

        CHECK(f.driver->policy().decision() == Decision{kStandby, kStandby, 1});
        CHECK(f.driver->policy().admin_state(kPrimary) == AdminState::Drain);
        CHECK(f.driver->policy().admin_state(kStandby) == AdminState::Ready);
        CHECK(f.driver->policy().health(kPrimary) == SiteHealth::Up);  // nothing to replay
        CHECK(f.driver->policy().settings().failback == config::Failback::Auto);
        CHECK(f.driver->policy().settings().failback_after == 10s);
        CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {}");
        CHECK(f.persisted().decision == Decision{kStandby, kStandby, 1});
        CHECK(f.notifications.size() == notified);
        CHECK(f.driver->failovers() == 1);

        // The new settings are the ones in force: unpinned, the drained primary is not taken
        // back; once ready it is, after the new 10 s hold-down.
        REQUIRE(f.driver->unpin().status == CommandStatus::Applied);
        CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 2});
        f.scheduler.advance(1h);
        CHECK(f.driver->policy().active() == kStandby);
        REQUIRE(f.driver->set_admin_state(kPrimary, AdminState::Ready).status ==
                CommandStatus::Applied);
        f.scheduler.advance(9s);
        CHECK(f.driver->policy().active() == kStandby);
        f.scheduler.advance(1s);
        CHECK(f.driver->policy().decision() == Decision{kPrimary, std::nullopt, 3});
        CHECK(seen_by_workers(f.active_site) == "active 0, epoch 3, retry {}");
    }

    SECTION("sites swapped: the decision follows the names") {
        config::Config next =
            two_sites(f.state_path, auto_failback(10s), /*primary=*/"site-b", "site-a");
        f.driver->reconfigure(next);

        // site-b is index 0 now: still pinned and active; site-a (index 1) still drained.
        const Decision decision = f.driver->policy().decision();
        CHECK(f.driver->policy().site_name(kPrimary) == "site-b");
        CHECK(decision.active == kPrimary);
        CHECK(decision.pinned == kPrimary);
        CHECK(decision.epoch > 1);
        CHECK(f.driver->policy().admin_state(kStandby) == AdminState::Drain);
        CHECK(f.driver->policy().admin_state(kPrimary) == AdminState::Ready);
        CHECK(seen_by_workers(f.active_site) ==
              "active 0, epoch " + std::to_string(decision.epoch) + ", retry {}");
        const policy::LoadedState on_disk = f.persisted("site-b", "site-a");
        CHECK(on_disk.status == LoadStatus::Loaded);
        CHECK(on_disk.decision == decision);
        CHECK(f.driver->failovers() == 1);  // the same site serves: not a failover

        // The daemon replays health after a reload; the pin still holds against it.
        f.driver->on_site_health(0, SiteHealth::Down, "still down after reload");
        f.driver->on_site_health(1, SiteHealth::Up, "still up after reload");
        CHECK(f.driver->policy().active() == kPrimary);
        CHECK(seen_by_workers(f.active_site) ==
              "active 0, epoch " + std::to_string(decision.epoch) + ", retry {}");
    }

    SECTION("the primary renamed: the pin on the standby stays") {
        config::Config next = two_sites(f.state_path, {}, /*primary=*/"site-z", "site-b");
        f.driver->reconfigure(next);

        const Decision decision = f.driver->policy().decision();
        CHECK(decision.active == kStandby);
        CHECK(decision.pinned == kStandby);
        CHECK(f.driver->policy().admin_state(kPrimary) == AdminState::Ready);  // a new site
        CHECK(seen_by_workers(f.active_site) ==
              "active 1, epoch " + std::to_string(decision.epoch) + ", retry {}");
        CHECK(f.persisted("site-z", "site-b").decision == decision);
    }
}

TEST_CASE("policy driver: a reload that changes retry_on_standby republishes eligibility",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    REQUIRE(seen_by_workers(f.active_site) == "active 0, epoch 0, retry {0,1}");

    config::Config next = two_sites(f.state_path);
    next.policy.retry_on_standby = false;
    f.driver->reconfigure(next);
    CHECK(f.driver->policy().retry_target(kPrimary) == std::nullopt);
    // Workers must stop retrying on the other site at once, not at the next health change.
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 0, retry {}");

    f.driver->reconfigure(two_sites(f.state_path));
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 0, retry {0,1}");
}

TEST_CASE("policy driver: a newer peer decision is adopted, an older one ignored",
          "[component][control]") {
    Fixture f;
    f.start_healthy();

    CHECK(f.driver->adopt_peer_decision(Decision{kStandby, std::nullopt, 5}));
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 5});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 5, retry {0,1}");
    CHECK(f.persisted().decision == Decision{kStandby, std::nullopt, 5});
    CHECK(f.driver->failovers() == 1);
    REQUIRE(f.notifications.size() == 2);
    REQUIRE(f.notifications[1].transition.has_value());
    CHECK(f.notifications[1].transition->reason == TransitionReason::Peer);
    CHECK(f.notifications[1].transition->to == kStandby);
    const std::string file_after = read_file(f.state_path);

    CHECK_FALSE(f.driver->adopt_peer_decision(Decision{kPrimary, std::nullopt, 4}));
    CHECK_FALSE(f.driver->adopt_peer_decision(Decision{kPrimary, kPrimary, 5}));  // same epoch
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 5});
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 5, retry {0,1}");
    CHECK(read_file(f.state_path) == file_after);
    CHECK(f.notifications.size() == 2);
    CHECK(f.driver->failovers() == 1);

    // A newer pin from the peer is taken whole.
    CHECK(f.driver->adopt_peer_decision(Decision{kPrimary, kPrimary, 9}));
    CHECK(seen_by_workers(f.active_site) == "active 0, epoch 9, retry {}");
    CHECK(f.persisted().decision == Decision{kPrimary, kPrimary, 9});
    CHECK(f.driver->failovers() == 2);
}

TEST_CASE("policy driver: impossible operator commands are refused and change nothing",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    REQUIRE(f.driver->pin(kStandby).status == CommandStatus::Applied);
    const Decision pinned{kStandby, kStandby, 1};
    REQUIRE(f.driver->policy().decision() == pinned);
    const std::string file_before = read_file(f.state_path);
    const std::size_t notified = f.notifications.size();
    const std::string transition_before = f.driver->last_transition();

    const auto failback = f.driver->failback();
    CHECK(failback.status == CommandStatus::Refused);
    CHECK(failback.message == "site-b is pinned: unpin it first");
    CHECK_FALSE(failback.transition.has_value());

    const auto no_site = f.driver->pin(7);
    CHECK(no_site.status == CommandStatus::Refused);
    const auto no_site_admin = f.driver->set_admin_state(2, AdminState::Drain);
    CHECK(no_site_admin.status == CommandStatus::Refused);

    CHECK(f.driver->pin(kStandby).status == CommandStatus::Unchanged);

    CHECK(f.driver->policy().decision() == pinned);
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {}");
    CHECK(read_file(f.state_path) == file_before);
    CHECK(f.notifications.size() == notified);
    CHECK(f.driver->last_transition() == transition_before);
    CHECK(f.driver->failovers() == 1);

    // Unpinned, failback to a primary that is down is refused too.
    REQUIRE(f.driver->unpin().status == CommandStatus::Applied);
    f.driver->on_site_health(kPrimary, SiteHealth::Down, "connect refused");
    const Decision unpinned = f.driver->policy().decision();
    REQUIRE(unpinned == Decision{kStandby, std::nullopt, 2});
    const auto refused = f.driver->failback();
    CHECK(refused.status == CommandStatus::Refused);
    CHECK(f.driver->policy().decision() == unpinned);
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 2, retry {1}");
    CHECK(f.persisted().decision == unpinned);
}

TEST_CASE("policy driver: draining the active site moves to the other one",
          "[component][control]") {
    Fixture f;
    f.start_healthy();
    const auto result = f.driver->set_admin_state(kPrimary, AdminState::Drain);
    CHECK(result.status == CommandStatus::Applied);
    CHECK(result.message == "site-a set to drain; switched to site-b");
    CHECK(f.driver->policy().decision() == Decision{kStandby, std::nullopt, 1});
    // The drained primary takes no new connections, not even retries.
    CHECK(seen_by_workers(f.active_site) == "active 1, epoch 1, retry {1}");
    CHECK(f.persisted().decision == Decision{kStandby, std::nullopt, 1});
    REQUIRE(f.notifications.size() == 2);
    REQUIRE(f.notifications[1].transition.has_value());
    CHECK(f.notifications[1].transition->reason == TransitionReason::Admin);
    CHECK(f.driver->failovers() == 1);
}

}  // namespace
}  // namespace lb::test
