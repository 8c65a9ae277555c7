// PeerMachine's other inputs: FAULT from tracking, step-down (SIGTERM or the operator), and the
// policy decision it carries. Same defaults as peer_machine_test.cpp: priority 100, interval
// 200ms, master_down_interval 721ms.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lb/peer/peer_machine.h"
#include "tests/unit/peer/peer_test_support.h"

namespace lb::peer {
namespace {

using namespace testing;
using Names = std::vector<std::string>;

constexpr std::string_view kTrackFailed = "tcp://10.0.0.50:27017 unreachable";

Bench master_bench(const config::Peer& peer_settings = settings()) {
    Bench bench(peer_settings);
    bench.run_until(kT0 + bench.machine.master_down_interval());
    REQUIRE(bench.machine.role() == PeerRole::Master);
    return bench;
}

TEST_CASE("a master in fault releases the VIP, advertises priority 0 and stays out until cleared",
          "[unit][peer]") {
    Bench bench = master_bench();
    bench.run_until(kT0 + 800ms);
    const Reaction fault = bench.machine.set_fault(true, kTrackFailed, bench.now);
    REQUIRE(fault.change);
    CHECK(fault.change->from == PeerRole::Master);
    CHECK(fault.change->to == PeerRole::Fault);
    CHECK(fault.change->cause == "fault: tcp://10.0.0.50:27017 unreachable");
    CHECK(names(fault) == Names{"release_vip", "send_advert", "notify FAULT"});
    CHECK(adverts(fault).at(0).role == PeerRole::Fault);
    CHECK(adverts(fault).at(0).priority == 0);
    CHECK(bench.machine.faulted());
    CHECK(bench.machine.fault_reason() == kTrackFailed);
    CHECK(bench.machine.advertised_priority() == 0);
    CHECK(bench.machine.next_deadline() == kT0 + 1000ms);  // adverts only: no promotion
    CHECK(bench.machine.set_fault(true, "again", bench.now).actions.empty());

    // A minute alone: adverts at priority 0, never MASTER.
    const std::size_t sent_before = bench.sent.size();
    bench.run_until(kT0 + 60s);
    CHECK(bench.machine.role() == PeerRole::Fault);
    CHECK(bench.sent.size() == sent_before + 296);  // 1000ms .. 60000ms
    for (std::size_t i = sent_before; i < bench.sent.size(); ++i) {
        CHECK(bench.sent[i].role == PeerRole::Fault);
        CHECK(bench.sent[i].priority == 0);
    }

    const Reaction cleared = bench.machine.set_fault(false, "tracking recovered", kT0 + 60s);
    REQUIRE(cleared.change);
    CHECK(cleared.change->to == PeerRole::Backup);
    CHECK(cleared.change->cause == "fault cleared: tracking recovered");
    CHECK(names(cleared) == Names{"send_advert", "notify BACKUP"});
    CHECK(adverts(cleared).at(0).priority == 100);
    CHECK(bench.machine.set_fault(false, "", kT0 + 60s).actions.empty());  // not faulted
    // A fresh master_down_interval from the clearing.
    bench.run_until(kT0 + 60s + 720ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    bench.run_until(kT0 + 60s + 721ms);
    CHECK(bench.machine.role() == PeerRole::Master);
}

TEST_CASE("a backup in fault never becomes master, even with no peer", "[unit][peer]") {
    Bench bench;
    const Reaction fault = bench.machine.set_fault(true, kTrackFailed, kT0 + 100ms);
    CHECK(names(fault) == Names{"send_advert", "notify FAULT"});
    bench.run_until(kT0 + 60s);
    CHECK(bench.machine.role() == PeerRole::Fault);
    // Policy still flows in FAULT.
    Advert newer = from_peer(PeerRole::Master, 150);
    newer.policy = {"site-b", false, 9};
    CHECK(names(bench.machine.on_advert(newer, kT0 + 60s)) == Names{"adopt_policy"});
}

TEST_CASE("a fault set before start starts in FAULT", "[unit][peer]") {
    PeerMachine machine(settings(), kBoot, kPolicy);
    CHECK(machine.set_fault(true, kTrackFailed, kT0).actions.empty());
    const Reaction started = machine.start(kT0);
    REQUIRE(started.change);
    CHECK(started.change->to == PeerRole::Fault);
    CHECK(started.change->cause == "started in fault: tcp://10.0.0.50:27017 unreachable");
    CHECK(names(started) == Names{"release_vip", "send_advert", "notify FAULT"});
    CHECK(machine.tick(kT0 + 10s).change == std::nullopt);
}

TEST_CASE("step-down with nobody to hand over to: BACKUP for the hold, then MASTER again",
          "[unit][peer]") {
    Bench bench = master_bench();
    bench.run_until(kT0 + 1000ms);
    const Reaction down = bench.machine.step_down(bench.now, 10s, "SIGTERM");
    REQUIRE(down.change);
    CHECK(down.change->from == PeerRole::Master);
    CHECK(down.change->to == PeerRole::Backup);
    CHECK(down.change->cause == "step-down: SIGTERM");
    CHECK(names(down) == Names{"release_vip", "send_advert", "notify BACKUP"});
    // Priority 0 once, as the master giving up; then BACKUP at priority 0 for the hold.
    CHECK(adverts(down).at(0).role == PeerRole::Master);
    CHECK(adverts(down).at(0).priority == 0);
    CHECK(bench.machine.held_until() == kT0 + 11s);
    CHECK(bench.machine.advertised_priority() == 0);

    const std::size_t sent_before = bench.sent.size();
    bench.run_until(kT0 + 11s - 1ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    for (std::size_t i = sent_before; i < bench.sent.size(); ++i) {
        CHECK(bench.sent[i].role == PeerRole::Backup);
        CHECK(bench.sent[i].priority == 0);
    }
    bench.run_until(kT0 + 11s);
    CHECK(bench.machine.role() == PeerRole::Master);
    CHECK(bench.changes.back().first == kT0 + 11s);
    CHECK(bench.changes.back().second.cause == "no advert from a peer for 10s");
    CHECK_FALSE(bench.machine.held_until());
    CHECK(bench.machine.advertised_priority() == 100);
}

TEST_CASE("step-down: once the peer took over, losing it is a failure like any other",
          "[unit][peer]") {
    Bench bench = master_bench();
    bench.run_until(kT0 + 1000ms);
    bench.record(bench.machine.step_down(bench.now, 10s, "operator"));
    bench.peer_adverts(from_peer(PeerRole::Master, 50), kT0 + 1100ms);
    bench.run_until(kT0 + 2100ms);
    bench.peer_stops();
    bench.run_until(kT0 + 2820ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    bench.run_until(kT0 + 2821ms);  // well inside the hold
    CHECK(bench.machine.role() == PeerRole::Master);
    CHECK(bench.changes.back().first == kT0 + 2821ms);
    CHECK(bench.changes.back().second.cause == "no advert from lb2 for 721ms");
    CHECK(bench.machine.advertised_priority() == 100);
}

TEST_CASE("step-down holds off preemption for the hold, not longer", "[unit][peer]") {
    // lb1 at priority 200 with preempt: master_down_interval 643ms.
    Bench bench = master_bench(settings("lb1", 200, /*preempt=*/true));
    bench.run_until(kT0 + 1000ms);
    bench.record(bench.machine.step_down(bench.now, 5s, "operator"));
    bench.peer_adverts(from_peer(PeerRole::Master, 100), kT0 + 1050ms);
    // The last advert inside the hold (5850ms) holds lb1 back until 5850 + 643; the ones after
    // 6000ms are ignored, to preempt.
    bench.run_until(kT0 + 6492ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    CHECK(bench.changes.size() == 3);  // start, master, step-down
    bench.run_until(kT0 + 6493ms);
    CHECK(bench.machine.role() == PeerRole::Master);
    CHECK(bench.changes.back().first == kT0 + 6493ms);
    CHECK(bench.changes.back().second.cause ==
          "preempting lb2, a master that ranks lower (priority 100 < 200)");
}

TEST_CASE("step-down as backup advertises priority 0 and holds off", "[unit][peer]") {
    Bench bench;
    bench.run_until(kT0 + 100ms);
    const Reaction down = bench.machine.step_down(bench.now, 5s, "operator");
    CHECK_FALSE(down.change);
    CHECK(names(down) == Names{"send_advert"});
    CHECK(adverts(down).at(0).role == PeerRole::Backup);
    CHECK(adverts(down).at(0).priority == 0);
    bench.run_until(kT0 + 5099ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    bench.run_until(kT0 + 5100ms);
    CHECK(bench.machine.role() == PeerRole::Master);
    CHECK(bench.changes.back().second.cause == "no advert from a peer for 5100ms");
}

TEST_CASE("a newer epoch in an advert is adopted once, and the local decision is advertised",
          "[unit][peer]") {
    Bench bench;
    Advert peer = from_peer(PeerRole::Master, 150);
    peer.policy = {"site-b", true, 4};
    const Reaction adopt = bench.machine.on_advert(peer, kT0 + 100ms);
    REQUIRE(names(adopt) == Names{"adopt_policy"});
    const auto& action = std::get<AdoptPolicy>(adopt.actions.at(0));
    CHECK(action.policy == AdvertPolicy{"site-b", true, 4});
    CHECK(action.from == "lb2");
    CHECK(bench.machine.known_epoch() == 4);
    CHECK(bench.machine.policy() == kPolicy);  // advertised: the local one, until set_policy

    CHECK(bench.machine.on_advert(peer, kT0 + 300ms).actions.empty());  // same epoch
    Advert older = peer;
    older.policy = {"site-a", false, 2};
    CHECK(bench.machine.on_advert(older, kT0 + 500ms).actions.empty());

    // The failover policy took it: the driver says so, and it is advertised at once.
    const Reaction local = bench.machine.set_policy({"site-b", true, 4}, kT0 + 550ms);
    CHECK(names(local) == Names{"send_advert"});
    CHECK(adverts(local).at(0).policy == AdvertPolicy{"site-b", true, 4});
    CHECK(bench.machine.set_policy({"site-b", true, 4}, kT0 + 560ms).actions.empty());

    // A local change moves the known epoch too: the peer's equal epoch is not adopted back.
    CHECK(names(bench.machine.set_policy({"site-a", false, 5}, kT0 + 600ms)) ==
          Names{"send_advert"});
    peer.policy = {"site-b", false, 5};
    CHECK(bench.machine.on_advert(peer, kT0 + 700ms).actions.empty());
    CHECK(bench.machine.known_epoch() == 5);
}

TEST_CASE("adverts are numbered per boot, and this instance's own are ignored", "[unit][peer]") {
    Bench bench;
    bench.run_until(kT0 + 2s);
    for (std::size_t i = 0; i < bench.sent.size(); ++i) {
        CHECK(bench.sent[i].sequence == i + 1);
        CHECK(bench.sent[i].boot_id == kBoot);
        CHECK(bench.sent[i].instance_id == "lb1");
        CHECK(bench.sent[i].advert_interval == 200ms);
        CHECK(bench.sent[i].policy == kPolicy);
    }
    const Reaction reflected =
        bench.machine.on_advert(from_peer(PeerRole::Master, 255, "lb1"), kT0 + 2s);
    CHECK(reflected.actions.empty());
    CHECK_FALSE(bench.machine.peer());
}

}  // namespace
}  // namespace lb::peer
