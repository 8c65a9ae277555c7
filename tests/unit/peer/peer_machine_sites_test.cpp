// PeerMachine and the sites: an instance that reaches neither site while its peer reaches one
// goes to FAULT, and reaching a site ranks above priority. Same defaults as peer_machine_test.cpp:
// priority 100, interval 200ms, master_down_interval 721ms.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lb/peer/peer_machine.h"
#include "tests/unit/peer/peer_test_support.h"

namespace lb::peer {
namespace {

using namespace testing;
using Names = std::vector<std::string>;

Advert reaching(Advert advert, bool reaches) {
    advert.reaches_site = reaches;
    return advert;
}

Bench master_bench(const config::Peer& peer_settings = settings()) {
    Bench bench(peer_settings);
    bench.run_until(kT0 + bench.machine.master_down_interval());
    REQUIRE(bench.machine.role() == PeerRole::Master);
    return bench;
}

TEST_CASE("a change of reach is advertised at once and in every advert after it",
          "[unit][peer]") {
    Bench bench = master_bench();
    const Reaction lost = bench.machine.set_reach(false, kT0 + 800ms);
    CHECK_FALSE(lost.change);  // no peer heard: nothing to hand over to
    REQUIRE(adverts(lost).size() == 1);
    CHECK_FALSE(adverts(lost).at(0).reaches_site);
    CHECK(adverts(lost).at(0).role == PeerRole::Master);
    CHECK(bench.machine.set_reach(false, kT0 + 800ms).actions.empty());  // no change, no advert
    bench.record(lost);
    bench.run_until(kT0 + 2s);
    CHECK_FALSE(bench.sent.back().reaches_site);
    CHECK(bench.machine.role() == PeerRole::Master);  // cut off from everything: stays
}

TEST_CASE("a master that reaches no site hands over to a backup that reaches one",
          "[unit][peer]") {
    Bench bench = master_bench();
    CHECK_FALSE(bench.machine.set_reach(false, kT0 + 800ms).change);
    const Reaction heard =
        bench.machine.on_advert(from_peer(PeerRole::Backup, 200), kT0 + 850ms);
    REQUIRE(heard.change);
    CHECK(heard.change->from == PeerRole::Master);
    CHECK(heard.change->to == PeerRole::Fault);
    CHECK(heard.change->cause == "fault: neither site reachable from here, lb2 reaches one");
    CHECK(names(heard) == Names{"release_vip", "send_advert", "notify FAULT"});
    CHECK(adverts(heard).at(0).priority == 0);
    CHECK_FALSE(adverts(heard).at(0).reaches_site);
    CHECK(bench.machine.fault_reason() == "neither site reachable from here, lb2 reaches one");

    SECTION("a site reachable again: BACKUP") {
        const Reaction back = bench.machine.set_reach(true, kT0 + 900ms);
        REQUIRE(back.change);
        CHECK(back.change->to == PeerRole::Backup);
        CHECK(back.change->cause == "fault cleared: a site is reachable again");
        CHECK(adverts(back).at(0).reaches_site);
        CHECK(adverts(back).at(0).priority == 100);
    }
    SECTION("the peer reaches none either: BACKUP") {
        const Reaction back = bench.machine.on_advert(
            reaching(from_peer(PeerRole::Master, 200), false), kT0 + 900ms);
        REQUIRE(back.change);
        CHECK(back.change->to == PeerRole::Backup);
        CHECK(back.change->cause == "fault cleared: lb2 no longer reaches a site");
    }
    SECTION("the peer falls silent: BACKUP after master_down_interval, then MASTER") {
        bench.record(heard);
        bench.run_until(kT0 + 850ms + 721ms);
        REQUIRE(bench.changes.size() >= 3);
        CHECK(bench.changes.back().second.to == PeerRole::Backup);
        CHECK(bench.changes.back().second.cause == "fault cleared: lb2 not heard for 721ms");
        bench.run_until(kT0 + 3s);
        CHECK(bench.machine.role() == PeerRole::Master);  // nobody else: hold the VIP
    }
}

TEST_CASE("only an advert heard after the sites were lost puts a master in FAULT",
          "[unit][peer]") {
    // Cut off from everything: the peer's last advert came before the checks failed.
    Bench bench = master_bench();
    CHECK_FALSE(bench.machine.on_advert(from_peer(PeerRole::Backup, 200), kT0 + 780ms).change);
    CHECK_FALSE(bench.machine.set_reach(false, kT0 + 800ms).change);
    CHECK_FALSE(bench.machine.faulted());
    bench.run_until(kT0 + 2s);
    CHECK(bench.machine.role() == PeerRole::Master);
    // Heard again (the partition healed): now it is evidence.
    const Reaction heard = bench.machine.on_advert(from_peer(PeerRole::Master, 200), kT0 + 2s);
    REQUIRE(heard.change);
    CHECK(heard.change->to == PeerRole::Fault);
}

TEST_CASE("the peer reaching no site alone is no fault here", "[unit][peer]") {
    Bench bench = master_bench();
    const Reaction heard = bench.machine.on_advert(
        reaching(from_peer(PeerRole::Backup, 200), false), kT0 + 850ms);
    CHECK_FALSE(heard.change);
    CHECK_FALSE(bench.machine.faulted());
}

TEST_CASE("two masters after a partition: the one that reaches a site stays, whatever priority",
          "[unit][peer]") {
    // lb1 (priority 100) took over while lb2 (priority 200), cut off from the sites and the
    // peer, stayed MASTER too.
    SECTION("the one that reaches a site, lower priority, keeps the VIP and announces it") {
        Bench bench = master_bench();
        const Reaction heard = bench.machine.on_advert(
            reaching(from_peer(PeerRole::Master, 200), false), kT0 + 850ms);
        CHECK_FALSE(heard.change);
        CHECK(names(heard) == Names{"announce_vip", "send_advert"});
        const auto& announce = std::get<AnnounceVip>(heard.actions.at(0));
        CHECK(announce.detail == "lb2 is also master and ranks lower (lb2 reaches no site)");
    }
    SECTION("the one that reaches none, higher priority, gives the VIP up at once") {
        Bench bench = master_bench(settings("lb2", 200));
        CHECK_FALSE(bench.machine.set_reach(false, kT0 + 800ms).change);
        const Reaction heard = bench.machine.on_advert(
            from_peer(PeerRole::Master, 100, "lb1"), kT0 + 850ms);
        REQUIRE(heard.change);
        CHECK(heard.change->to == PeerRole::Fault);
        CHECK(names(heard).at(0) == "release_vip");
    }
}

TEST_CASE("a backup that reaches a site does not wait behind a better one that reaches none",
          "[unit][peer]") {
    Bench bench;  // lb1, priority 100
    bench.peer_adverts(reaching(from_peer(PeerRole::Backup, 200), false), kT0 + 10ms);
    bench.run_until(kT0 + 2s);
    CHECK(bench.machine.role() == PeerRole::Master);
}

TEST_CASE("stepping down on a newer decision gives the VIP up before adopting it",
          "[unit][peer]") {
    Bench bench = master_bench();
    AdvertPolicy newer = kPolicy;
    newer.active_site = "site-b";
    newer.epoch = kPolicy.epoch + 1;
    const Reaction heard =
        bench.machine.on_advert(from_peer(PeerRole::Master, 200, "lb2", 200ms, newer), kT0 + 850ms);
    REQUIRE(heard.change);
    CHECK(heard.change->to == PeerRole::Backup);
    CHECK(names(heard) == Names{"release_vip", "send_advert", "notify BACKUP", "adopt_policy"});
}

}  // namespace
}  // namespace lb::peer
