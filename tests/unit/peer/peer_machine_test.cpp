// PeerMachine against a scripted peer, one rule per test, on manual time. The defaults: lb1 at
// priority 100, advert interval 200ms, so skew = (156 × 200) / 256 = 121ms and
// master_down_interval = 3 × 200 + 121 = 721ms.
#include "lb/peer/peer_machine.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/peer/peer_test_support.h"

namespace lb::peer {
namespace {

using namespace testing;
using Names = std::vector<std::string>;

// lb1 MASTER at kT0 + 721ms, nobody else heard.
Bench master_bench(const config::Peer& peer_settings = settings()) {
    Bench bench(peer_settings);
    bench.run_until(kT0 + bench.machine.master_down_interval());
    REQUIRE(bench.machine.role() == PeerRole::Master);
    return bench;
}

TEST_CASE("skew and master_down_interval follow RFC 5798", "[unit][peer]") {
    struct Row {
        int priority;
        Duration interval;
        Duration skew;
        Duration down;
    };
    const std::vector<Row> rows = {
        {100, 200ms, 121ms, 721ms}, {150, 200ms, 82ms, 682ms}, {200, 200ms, 43ms, 643ms},
        {254, 200ms, 1ms, 601ms},   {1, 200ms, 199ms, 799ms},  {100, 1s, 609ms, 3609ms},
    };
    for (const Row& row : rows) {
        INFO("priority " << row.priority << ", interval " << row.interval.count() << "ms");
        const PeerMachine machine(settings("lb1", row.priority, false, row.interval), kBoot,
                                  kPolicy);
        CHECK(machine.skew() == row.skew);
        CHECK(machine.master_down_interval() == row.down);
    }
}

TEST_CASE("start goes from INIT to BACKUP, releasing a VIP a predecessor may have left",
          "[unit][peer]") {
    PeerMachine machine(settings(), kBoot, kPolicy);
    CHECK(machine.role() == PeerRole::Init);
    CHECK_FALSE(machine.next_deadline());
    CHECK(machine.tick(kT0).actions.empty());
    CHECK(machine.on_advert(from_peer(PeerRole::Master, 150), kT0).actions.empty());

    const Reaction started = machine.start(kT0);
    REQUIRE(started.change);
    CHECK(started.change->from == PeerRole::Init);
    CHECK(started.change->to == PeerRole::Backup);
    CHECK(started.change->cause == "started");
    CHECK(names(started) == Names{"release_vip", "send_advert", "notify BACKUP"});
    CHECK(adverts(started).at(0) == Advert{"lb1", 100, PeerRole::Backup, kPolicy, kBoot, 1, 200ms});
    CHECK(machine.next_deadline() == kT0 + 200ms);
    CHECK(machine.start(kT0 + 1ms).actions.empty());  // once
}

TEST_CASE("a backup that hears nobody becomes master at master_down_interval, not 1ms before",
          "[unit][peer]") {
    Bench bench;
    bench.run_until(kT0 + 720ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    CHECK(bench.changes_after_start().empty());
    // Adverts every interval, sequence numbers 1, 2, 3, 4.
    REQUIRE(bench.sent.size() == 4);
    for (std::size_t i = 0; i < bench.sent.size(); ++i) {
        CHECK(bench.sent[i].sequence == i + 1);
        CHECK(bench.sent[i].role == PeerRole::Backup);
        CHECK(bench.sent[i].priority == 100);
    }
    CHECK(bench.machine.next_deadline() == kT0 + 721ms);

    const Reaction promoted = bench.machine.tick(kT0 + 721ms);
    REQUIRE(promoted.change);
    CHECK(promoted.change->to == PeerRole::Master);
    CHECK(promoted.change->cause == "no advert from a peer for 721ms");
    CHECK(names(promoted) == Names{"send_advert", "acquire_vip", "notify MASTER"});
    CHECK(adverts(promoted).at(0).role == PeerRole::Master);
    CHECK(adverts(promoted).at(0).priority == 100);
    CHECK(bench.machine.next_deadline() == kT0 + 921ms);
}

TEST_CASE(
    "a master's adverts hold a backup back, and silence promotes it master_down_interval after "
    "the last",
    "[unit][peer]") {
    Bench bench;
    bench.peer_adverts(from_peer(PeerRole::Master, 150), kT0 + 50ms);
    bench.run_until(kT0 + 1050ms);  // the last advert at 1050ms
    bench.peer_stops();
    bench.run_until(kT0 + 1770ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    bench.run_until(kT0 + 1771ms);
    const auto changes = bench.changes_after_start();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].first == kT0 + 1771ms);
    CHECK(changes[0].second.to == PeerRole::Master);
    CHECK(changes[0].second.cause == "no advert from lb2 for 721ms");
    REQUIRE(bench.machine.peer());
    CHECK(bench.machine.peer()->id == "lb2");
    CHECK(bench.machine.peer()->at == kT0 + 1050ms);
}

TEST_CASE("master_down_interval uses the interval the master advertises", "[unit][peer]") {
    Bench bench;
    bench.deliver(from_peer(PeerRole::Master, 150, "lb2", 1s), kT0 + 100ms);
    CHECK(bench.machine.skew() == 609ms);
    CHECK(bench.machine.master_down_interval() == 3609ms);
    bench.run_until(kT0 + 3708ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    bench.run_until(kT0 + 3709ms);
    CHECK(bench.machine.role() == PeerRole::Master);
}

TEST_CASE("among backups the higher priority waits for nobody, and ties go to the higher id",
          "[unit][peer]") {
    struct Row {
        const char* what;
        Advert peer;
        bool held_back;
        std::string cause = "";
    };
    const std::vector<Row> rows = {
        {"higher priority", from_peer(PeerRole::Backup, 101), true},
        {"lower priority", from_peer(PeerRole::Backup, 99), false,
         "lb2 is backup and ranks lower (priority 99)"},
        {"same priority, higher id", from_peer(PeerRole::Backup, 100, "lb2"), true},
        {"same priority, lower id", from_peer(PeerRole::Backup, 100, "lb0"), false,
         "lb0 is backup and ranks lower (priority 100)"},
        {"a peer in fault", from_peer(PeerRole::Fault, 0), false, "lb2 is in fault"},
        {"a backup at priority 0", from_peer(PeerRole::Backup, 0), false,
         "lb2 advertises priority 0"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Bench bench;
        bench.peer_adverts(row.peer, kT0 + 10ms);
        bench.run_until(kT0 + 5s);
        const auto changes = bench.changes_after_start();
        if (row.held_back) {
            CHECK(changes.empty());
            CHECK(bench.machine.role() == PeerRole::Backup);
        } else {
            REQUIRE(changes.size() == 1);
            CHECK(changes[0].first == kT0 + 721ms);
            CHECK(changes[0].second.cause == row.cause);
        }
    }
}

TEST_CASE("preempt = false: a better backup stays backup while a worse master lives",
          "[unit][peer]") {
    Bench bench(settings("lb1", 200, /*preempt=*/false));
    bench.peer_adverts(from_peer(PeerRole::Master, 100), kT0 + 10ms);
    bench.run_until(kT0 + 60s);
    CHECK(bench.changes_after_start().empty());
    CHECK(bench.machine.role() == PeerRole::Backup);
    // When the master goes quiet, it takes over like any backup: 643ms after the last advert.
    bench.peer_stops();
    const TimePoint last = bench.peer_next - 200ms;
    bench.run_until(last + 643ms);
    const auto changes = bench.changes_after_start();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].first == last + 643ms);
    CHECK(changes[0].second.cause == "no advert from lb2 for 643ms");
}

TEST_CASE("preempt = true: a better backup takes over from a worse master", "[unit][peer]") {
    struct Row {
        const char* what;
        Advert master;
        std::string cause;
    };
    const std::vector<Row> rows = {
        {"lower priority", from_peer(PeerRole::Master, 100),
         "preempting lb2, a master that ranks lower (priority 100 < 200)"},
        {"same priority, lower id", from_peer(PeerRole::Master, 200, "lb0"),
         "preempting lb0, a master that ranks lower (same priority 200, id lb0 < lb1)"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Bench bench(settings("lb1", 200, /*preempt=*/true));
        bench.peer_adverts(row.master, kT0 + 10ms);
        bench.run_until(kT0 + 642ms);
        CHECK(bench.machine.role() == PeerRole::Backup);
        bench.run_until(kT0 + 643ms);
        const auto changes = bench.changes_after_start();
        REQUIRE(changes.size() == 1);
        CHECK(changes[0].first == kT0 + 643ms);
        CHECK(changes[0].second.cause == row.cause);
    }
    SECTION("a better master is not preempted") {
        Bench bench(settings("lb1", 200, /*preempt=*/true));
        bench.peer_adverts(from_peer(PeerRole::Master, 250), kT0 + 10ms);
        bench.run_until(kT0 + 60s);
        CHECK(bench.changes_after_start().empty());
    }
}

TEST_CASE("a master that hears a better master steps down at once", "[unit][peer]") {
    struct Row {
        const char* what;
        Advert master;
        std::string cause;
    };
    const std::vector<Row> rows = {
        {"higher priority", from_peer(PeerRole::Master, 150),
         "lb2 is also master and ranks higher (priority 150 > 100)"},
        {"same priority, higher id", from_peer(PeerRole::Master, 100, "lb2"),
         "lb2 is also master and ranks higher (same priority 100, id lb2 > lb1)"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Bench bench = master_bench();
        const Reaction lost = bench.machine.on_advert(row.master, kT0 + 800ms);
        REQUIRE(lost.change);
        CHECK(lost.change->from == PeerRole::Master);
        CHECK(lost.change->to == PeerRole::Backup);
        CHECK(lost.change->cause == row.cause);
        CHECK(names(lost) == Names{"release_vip", "send_advert", "notify BACKUP"});
        // Its parting advert gives mastership up; the ones after it say BACKUP.
        CHECK(adverts(lost).at(0).role == PeerRole::Master);
        CHECK(adverts(lost).at(0).priority == 0);
        const Reaction next = bench.machine.tick(kT0 + 1000ms);
        CHECK(adverts(next).at(0).role == PeerRole::Backup);
        CHECK(adverts(next).at(0).priority == 100);
    }
}

TEST_CASE("a master that hears a worse master stays, and announces the VIP every time",
          "[unit][peer]") {
    struct Row {
        const char* what;
        Advert master;
        std::string detail;
    };
    const std::vector<Row> rows = {
        {"lower priority", from_peer(PeerRole::Master, 50),
         "lb2 is also master and ranks lower (priority 50 < 100)"},
        {"same priority, lower id", from_peer(PeerRole::Master, 100, "lb0"),
         "lb0 is also master and ranks lower (same priority 100, id lb0 < lb1)"},
        {"its parting advert", from_peer(PeerRole::Master, 0),
         "lb2 gave mastership up (priority 0)"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Bench bench = master_bench();
        for (TimePoint at : {kT0 + 800ms, kT0 + 850ms}) {
            const Reaction won = bench.machine.on_advert(row.master, at);
            CHECK_FALSE(won.change);
            CHECK(names(won) == Names{"announce_vip", "send_advert"});
            CHECK(std::get<AnnounceVip>(won.actions.at(0)).detail == row.detail);
            CHECK(adverts(won).at(0).role == PeerRole::Master);
            CHECK(bench.machine.next_deadline() == at + 200ms);  // the advert timer restarts
        }
        CHECK(bench.machine.role() == PeerRole::Master);
    }
}

TEST_CASE("a master announces the VIP on the first advert after a silence", "[unit][peer]") {
    Bench bench = master_bench();
    const Advert backup = from_peer(PeerRole::Backup, 50);
    const Reaction first = bench.machine.on_advert(backup, kT0 + 800ms);
    CHECK(names(first) == Names{"announce_vip"});
    CHECK(std::get<AnnounceVip>(first.actions.at(0)).detail ==
          "heard lb2 (backup) after a silence");
    CHECK(bench.machine.on_advert(backup, kT0 + 1000ms).actions.empty());
    CHECK(bench.machine.on_advert(backup, kT0 + 1720ms).actions.empty());  // 720ms: no silence
    CHECK(names(bench.machine.on_advert(backup, kT0 + 2441ms)) == Names{"announce_vip"});
}

TEST_CASE("priority 0 from the master: the backup takes over after its skew alone",
          "[unit][peer]") {
    SECTION("a master's priority 0 advert") {
        Bench bench;
        bench.peer_adverts(from_peer(PeerRole::Master, 150), kT0 + 10ms);
        bench.run_until(kT0 + 410ms);
        bench.peer_stops();
        bench.deliver(from_peer(PeerRole::Master, 0), kT0 + 500ms);
        bench.run_until(kT0 + 620ms);
        CHECK(bench.machine.role() == PeerRole::Backup);
        bench.run_until(kT0 + 621ms);
        const auto changes = bench.changes_after_start();
        REQUIRE(changes.size() == 1);
        CHECK(changes[0].first == kT0 + 621ms);
        CHECK(changes[0].second.cause ==
              "lb2 gave mastership up (priority 0); took over after the skew of 121ms");
    }
    SECTION("the master goes to FAULT") {
        Bench bench;
        bench.peer_adverts(from_peer(PeerRole::Master, 150), kT0 + 10ms);
        bench.run_until(kT0 + 410ms);
        bench.peer_stops();
        bench.deliver(from_peer(PeerRole::Fault, 0), kT0 + 500ms);
        bench.run_until(kT0 + 621ms);
        CHECK(bench.machine.role() == PeerRole::Master);
        CHECK(bench.changes.back().first == kT0 + 621ms);
    }
    SECTION("priority 0 from a peer that was not master changes no timer") {
        Bench bench;
        bench.deliver(from_peer(PeerRole::Backup, 0), kT0 + 500ms);
        bench.run_until(kT0 + 720ms);
        CHECK(bench.machine.role() == PeerRole::Backup);
        bench.run_until(kT0 + 721ms);
        CHECK(bench.machine.role() == PeerRole::Master);
    }
}

}  // namespace
}  // namespace lb::peer
