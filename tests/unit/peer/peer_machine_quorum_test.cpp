// PeerMachine with an arbiter: two of three votes for the VIP. Priority 100, interval 200ms,
// master_down_interval 721ms, lease 600ms (3 × interval), renewed every 200ms.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lb/peer/peer_machine.h"
#include "tests/unit/peer/peer_test_support.h"

namespace lb::peer {
namespace {

using namespace testing;
using Names = std::vector<std::string>;

config::Peer with_arbiter(std::string id = "lb1", int priority = 100, bool preempt = false) {
    config::Peer peer = settings(std::move(id), priority, preempt);
    peer.arbiter = SocketAddress::parse_endpoint("10.0.0.50:5406");
    return peer;
}

// The lease requests among a reaction's actions.
std::vector<LeaseRequest> lease_requests(const Reaction& reaction) {
    std::vector<LeaseRequest> out;
    for (const PeerAction& action : reaction.actions)
        if (const auto* send = std::get_if<SendLeaseRequest>(&action)) out.push_back(send->request);
    return out;
}

LeaseReply answer(const LeaseRequest& request, LeaseVerdict verdict, std::string holder,
                  Duration lease = 600ms) {
    static std::uint64_t sequence = 0;
    return {request.instance_id, verdict, std::move(holder), lease, std::nullopt, 0xa1,
            ++sequence, request.boot_id, request.sequence};
}

// Drives the machine by its deadlines up to `until`, collecting the lease requests it sends.
struct QuorumBench {
    explicit QuorumBench(const config::Peer& peer_settings = with_arbiter())
        : machine(peer_settings, kBoot, kPolicy), now(kT0) {
        keep(machine.start(now));
    }
    void keep(const Reaction& reaction) {
        if (reaction.change) changes.push_back(*reaction.change);
        if (reaction.notice) notices.push_back(*reaction.notice);
        for (const LeaseRequest& request : lease_requests(reaction)) requests.push_back(request);
        for (const PeerAction& action : reaction.actions) actions.push_back(to_string(action));
    }
    void run_until(TimePoint until) {
        while (true) {
            const auto deadline = machine.next_deadline();
            REQUIRE(deadline);
            REQUIRE(*deadline >= now);
            if (*deadline > until) break;
            now = *deadline;
            keep(machine.tick(now));
            REQUIRE(*machine.next_deadline() > now);
        }
        now = until;
    }
    // The peer's `advert` every `every` from `from` up to `until`, with the deadlines between.
    void peer_adverts(const Advert& advert, TimePoint from, TimePoint until,
                      Duration every = 200ms) {
        Advert next = advert;
        for (TimePoint t = from; t <= until; t += every) {
            run_until(t);
            ++next.sequence;
            keep(machine.on_advert(next, t));
        }
        run_until(until);
    }
    Reaction reply(LeaseVerdict verdict, std::string holder, TimePoint at) {
        REQUIRE_FALSE(requests.empty());
        now = at;
        const Reaction out = machine.on_lease_reply(answer(requests.back(), verdict, holder), at);
        keep(out);
        return out;
    }

    PeerMachine machine;
    TimePoint now;
    std::vector<RoleChange> changes;
    std::vector<std::string> notices;
    std::vector<LeaseRequest> requests;
    std::vector<std::string> actions;
};

TEST_CASE("alone and unanswered, a due backup stays BACKUP, asks the arbiter and says why once",
          "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 3s);
    CHECK(bench.machine.role() == PeerRole::Backup);
    REQUIRE(bench.notices.size() == 1);
    CHECK(bench.notices[0] ==
          "no quorum to take the VIP: no peer heard; the arbiter does not answer; "
          "`lb ctl peer force-master` takes it anyway");
    CHECK(bench.machine.quorum_wait() == bench.notices[0]);
    // From the promotion time (721ms) on, a request every interval.
    REQUIRE(bench.requests.size() >= 11);
    CHECK(bench.requests.front().kind == LeaseKind::Acquire);
    CHECK(bench.requests.front().policy == kPolicy);
    CHECK_FALSE(bench.machine.has_quorum(bench.now));
}

TEST_CASE("the wait for quorum is logged once the arbiter answered or had an interval to, and "
          "again when its reason changes",
          "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);  // due: the first request leaves, nothing is said yet
    REQUIRE(bench.requests.size() == 1);
    CHECK(bench.notices.empty());
    CHECK_FALSE(bench.machine.quorum_wait().empty());  // `show peer` says it at once
    // The arbiter refuses: the peer holds the lease. That is the reason, said at the reply.
    (void)bench.reply(LeaseVerdict::Refused, "lb2", kT0 + 724ms);
    REQUIRE(bench.notices.size() == 1);
    CHECK(bench.notices[0] ==
          "no quorum to take the VIP: no peer heard; the arbiter's lease is held by lb2; "
          "`lb ctl peer force-master` takes it anyway");
    // More refusals for the same reason: nothing more.
    bench.run_until(kT0 + 1100ms);
    (void)bench.reply(LeaseVerdict::Refused, "lb2", kT0 + 1103ms);
    CHECK(bench.notices.size() == 1);
}

TEST_CASE("a lone backup granted the lease takes over, and lets go exactly when it runs out",
          "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);
    REQUIRE(bench.requests.size() == 1);
    const TimePoint asked = bench.now;
    const Reaction granted = bench.reply(LeaseVerdict::Granted, "lb1", asked + 3ms);
    REQUIRE(granted.change);
    CHECK(granted.change->to == PeerRole::Master);
    CHECK(granted.change->cause ==
          "no advert from a peer for 724ms; the arbiter granted its lease");
    CHECK(bench.machine.lease_held(bench.now));
    CHECK(bench.machine.quorum_wait().empty());
    // Renewals go unanswered: MASTER ends at the send time of the granted request + 600ms.
    bench.run_until(asked + 2s);
    REQUIRE(bench.changes.size() == 3);  // start, to MASTER, back to BACKUP
    CHECK(bench.changes.back().to == PeerRole::Backup);
    CHECK(bench.changes.back().cause.starts_with("lost quorum: no peer heard;"));
    CHECK(bench.machine.role() != PeerRole::Master);
    // Leaving MASTER gave the VIP and the lease back.
    const auto release_vip =
        std::find(bench.actions.rbegin(), bench.actions.rend(), std::string("release_vip"));
    CHECK(release_vip != bench.actions.rend());
    CHECK(std::find(bench.actions.begin(), bench.actions.end(), "lease_release") !=
          bench.actions.end());
}

TEST_CASE("the master's view of the lease ends at the granted request's send time + 75% lease",
          "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);
    const TimePoint asked = bench.now;
    (void)bench.reply(LeaseVerdict::Granted, "lb1", asked + 3ms);
    REQUIRE(bench.machine.role() == PeerRole::Master);
    bench.run_until(asked + 449ms);  // 600ms granted, a quarter less held
    CHECK(bench.machine.role() == PeerRole::Master);
    bench.run_until(asked + 450ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
}

TEST_CASE("a live backup peer is the second vote: the election needs no arbiter",
          "[unit][peer]") {
    QuorumBench bench;
    bench.peer_adverts(from_peer(PeerRole::Backup, 50), kT0 + 100ms, kT0 + 721ms);
    CHECK(bench.machine.role() == PeerRole::Master);
    CHECK(bench.notices.empty());
    // As MASTER it asks for the lease too, so it keeps it if the link to lb2 breaks.
    REQUIRE_FALSE(bench.requests.empty());
    CHECK(bench.requests.back().kind == LeaseKind::Acquire);
}

TEST_CASE("the link to the peer breaks: the master with the lease stays, the backup is refused",
          "[unit][peer]") {
    SECTION("the master keeps MASTER on the lease alone") {
        QuorumBench bench;
        bench.peer_adverts(from_peer(PeerRole::Backup, 50), kT0 + 100ms, kT0 + 721ms);
        REQUIRE(bench.machine.role() == PeerRole::Master);
        // The arbiter answers every renewal; lb2 is never heard again.
        for (TimePoint t = kT0 + 721ms; t < kT0 + 5s; t += 200ms) {
            bench.run_until(t);
            (void)bench.reply(LeaseVerdict::Granted, "lb1", t);
        }
        CHECK(bench.machine.role() == PeerRole::Master);
        CHECK(bench.changes.size() == 2);
    }
    SECTION("the backup asks, is refused, and stays BACKUP") {
        QuorumBench bench(with_arbiter("lb2", 50));
        bench.keep(bench.machine.on_advert(from_peer(PeerRole::Master, 100, "lb1"), kT0));
        bench.run_until(kT0 + 2s);  // lb1 silent since kT0: promotion due
        REQUIRE_FALSE(bench.requests.empty());
        (void)bench.reply(LeaseVerdict::Refused, "lb1", bench.now + 1ms);
        bench.run_until(kT0 + 5s);
        CHECK(bench.machine.role() == PeerRole::Backup);
        CHECK(bench.machine.quorum_wait().find("the arbiter's lease is held by lb1") !=
              std::string::npos);
    }
}

TEST_CASE("the peer's vote lapses 1.5 intervals after its last advert", "[unit][peer]") {
    // Cut off from the peer and the arbiter at once: the MASTER must not outlast the vote, or a
    // peer that takes over after its own master-down interval would find it still there.
    QuorumBench bench;
    bench.peer_adverts(from_peer(PeerRole::Backup, 50), kT0 + 100ms, kT0 + 900ms);
    REQUIRE(bench.machine.role() == PeerRole::Master);
    const TimePoint last_heard = kT0 + 900ms;  // the arbiter never answers
    CHECK(bench.machine.has_quorum(last_heard + 299ms));
    CHECK_FALSE(bench.machine.has_quorum(last_heard + 300ms));
    bench.run_until(last_heard + 300ms);
    CHECK(bench.machine.role() == PeerRole::Backup);
    CHECK(bench.changes.back().cause.starts_with("lost quorum: lb2 not heard for 300ms"));
}

TEST_CASE("force-master takes the VIP without quorum until MASTER ends", "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 2s);
    REQUIRE(bench.machine.role() == PeerRole::Backup);
    const Reaction forced = bench.machine.force_master(bench.now);
    bench.keep(forced);
    REQUIRE(forced.change);
    CHECK(forced.change->to == PeerRole::Master);
    CHECK(forced.change->cause ==
          "forced by the operator (no peer heard; the arbiter does not answer)");
    CHECK(bench.machine.forced());
    bench.run_until(kT0 + 10s);
    CHECK(bench.machine.role() == PeerRole::Master);
    bench.keep(bench.machine.step_down(bench.now, 2s, "test"));
    CHECK_FALSE(bench.machine.forced());
    CHECK(bench.machine.force_master(bench.now + 1ms).change);  // from BACKUP again: allowed
}

TEST_CASE("stepping down gives the lease back at once", "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);
    (void)bench.reply(LeaseVerdict::Granted, "lb1", bench.now + 1ms);
    REQUIRE(bench.machine.role() == PeerRole::Master);
    const Reaction down = bench.machine.step_down(bench.now, 2s, "SIGTERM");
    const auto requests = lease_requests(down);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].kind == LeaseKind::Release);
}

TEST_CASE("the arbiter's newer decision is adopted, an older one is not", "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);
    LeaseReply reply = answer(bench.requests.back(), LeaseVerdict::Refused, "lb2", 100ms);
    reply.newest = AdvertPolicy{"site-b", false, kPolicy.epoch + 2};
    const Reaction newer = bench.machine.on_lease_reply(reply, bench.now + 1ms);
    CHECK(names(newer).back() == "adopt_policy");
    CHECK(bench.machine.known_epoch() == kPolicy.epoch + 2);
    bench.run_until(bench.now + 200ms);
    LeaseReply older = answer(bench.requests.back(), LeaseVerdict::Refused, "lb2", 100ms);
    older.newest = AdvertPolicy{"site-a", false, kPolicy.epoch + 1};
    const Reaction old = bench.machine.on_lease_reply(older, bench.now + 1ms);
    for (const std::string& name : names(old)) CHECK(name != "adopt_policy");
}

TEST_CASE("a reply to no request in flight is stale and changes nothing", "[unit][peer]") {
    QuorumBench bench;
    bench.run_until(kT0 + 721ms);
    LeaseReply forged = answer(bench.requests.back(), LeaseVerdict::Granted, "lb1");
    forged.request_sequence += 100;
    bool stale = false;
    const Reaction reaction = bench.machine.on_lease_reply(forged, bench.now + 1ms, &stale);
    CHECK(stale);
    CHECK_FALSE(reaction.change);
    CHECK(bench.machine.role() == PeerRole::Backup);
}

TEST_CASE("without an arbiter no lease is ever asked for", "[unit][peer]") {
    Bench bench;  // settings() without an arbiter
    bench.run_until(kT0 + 5s);
    CHECK(bench.machine.role() == PeerRole::Master);
    for (const std::string& action : bench.actions) CHECK(action.rfind("lease_", 0) != 0);
    CHECK(bench.machine.has_quorum(bench.now));
}

}  // namespace
}  // namespace lb::peer
