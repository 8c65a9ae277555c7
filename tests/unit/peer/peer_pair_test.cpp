// Two PeerMachines wired back to back through the real codec and replay guards, on manual time:
// every advert one sends is encoded, decoded, admitted and handed to the other at once (unless
// the link is cut). The VIP is a flag per instance, so "who holds it" is checked at exact times.
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "lb/peer/advert.h"
#include "lb/peer/peer_machine.h"
#include "lb/peer/replay_guard.h"
#include "tests/unit/peer/peer_test_support.h"

namespace lb::peer {
namespace {

using namespace testing;
using Bytes = std::vector<std::uint8_t>;

struct Node {
    Node(config::Peer peer_settings, std::uint64_t boot, const std::string& peer_id)
        : settings(std::move(peer_settings)),
          machine(std::make_unique<PeerMachine>(settings, boot, kPolicy)),
          guard({peer_id}) {}

    config::Peer settings;
    std::unique_ptr<PeerMachine> machine;
    ReplayGuard guard;
    bool started = false;
    bool holds_vip = false;
    int announces = 0;
    std::vector<std::pair<TimePoint, RoleChange>> changes;
    std::vector<AdvertReject> rejected;
    std::vector<Bytes> sent;
};

class Pair {
public:
    Pair(const config::Peer& one, const config::Peer& two)
        : one_(one, 0x1111, two.id), two_(two, 0x2222, one.id) {}

    Node& one() { return one_; }
    Node& two() { return two_; }
    bool linked = true;
    TimePoint now = kT0;

    void start(Node& node, TimePoint at) {
        run_until(at);
        node.started = true;
        apply(node, node.machine->start(now));
    }

    // The process behind `node` restarts: a new boot id, a fresh guard; the VIP flag stays as
    // the dead process left it (start() releases it).
    void restart(Node& node, std::uint64_t boot, TimePoint at) {
        run_until(at);
        node.machine = std::make_unique<PeerMachine>(node.settings, boot, kPolicy);
        node.guard = ReplayGuard({other(node).settings.id});
        node.started = true;
        apply(node, node.machine->start(now));
    }

    void run_until(TimePoint until) {
        for (;;) {
            Node* due = nullptr;
            TimePoint at = until;
            for (Node* node : {&one_, &two_}) {
                if (!node->started) continue;
                const auto deadline = node->machine->next_deadline();
                REQUIRE(deadline.has_value());
                if (*deadline <= at && (due == nullptr || *deadline < at)) {
                    due = node;
                    at = *deadline;
                }
            }
            if (due == nullptr) break;
            now = at;
            apply(*due, due->machine->tick(now));
            REQUIRE(*due->machine->next_deadline() > now);  // else a driver's timer spins
        }
        now = until;
    }

    // Hands `datagram` to `to` as the transport will: decode, admit, then the machine.
    std::optional<AdvertReject> deliver(Node& to, const Bytes& datagram) {
        const DecodeResult decoded = decode(datagram, key_);
        if (!decoded.ok()) {
            to.rejected.push_back(decoded.error().reason);
            return decoded.error().reason;
        }
        const Admission admission = to.guard.admit(decoded.value());
        if (!admission.admitted()) {
            to.rejected.push_back(admission.rejected->reason);
            return admission.rejected->reason;
        }
        apply(to, to.machine->on_advert(decoded.value(), now));
        return std::nullopt;
    }

    void apply(Node& node, const Reaction& reaction) {
        if (reaction.change) node.changes.emplace_back(now, *reaction.change);
        for (const PeerAction& action : reaction.actions) {
            if (const auto* send = std::get_if<SendAdvert>(&action)) {
                node.sent.push_back(encode(send->advert, key_));
                if (linked) in_flight_.emplace_back(&other(node), node.sent.back());
            } else if (std::holds_alternative<AcquireVip>(action)) {
                node.holds_vip = true;
            } else if (std::holds_alternative<ReleaseVip>(action)) {
                node.holds_vip = false;
            } else if (std::holds_alternative<AnnounceVip>(action)) {
                ++node.announces;
            }
        }
        if (delivering_) return;  // the outer call drains the queue
        delivering_ = true;
        while (!in_flight_.empty()) {
            auto [to, datagram] = in_flight_.front();
            in_flight_.pop_front();
            const auto rejected = deliver(*to, datagram);
            CHECK_FALSE(rejected.has_value());
        }
        delivering_ = false;
    }

    [[nodiscard]] const AdvertKey& key() const { return key_; }

private:
    Node& other(Node& node) { return &node == &one_ ? two_ : one_; }

    AdvertKey key_{"pair secret"};
    Node one_;
    Node two_;
    std::deque<std::pair<Node*, Bytes>> in_flight_;
    bool delivering_ = false;
};

// lb1 at priority 100 (master_down_interval 721ms, skew 121ms), lb2 at 150 (682ms, 82ms).
Pair steady_pair(bool preempt2 = false) {
    Pair pair(settings("lb1", 100), settings("lb2", 150, preempt2));
    pair.start(pair.one(), kT0);
    pair.start(pair.two(), kT0);
    pair.run_until(kT0 + 1s);
    REQUIRE(pair.two().machine->role() == PeerRole::Master);
    REQUIRE(pair.one().machine->role() == PeerRole::Backup);
    return pair;
}

TEST_CASE("started together, the higher priority becomes master and the other waits",
          "[unit][peer]") {
    Pair pair = steady_pair();
    pair.run_until(kT0 + 60s);
    REQUIRE(pair.two().changes.size() == 2);
    CHECK(pair.two().changes[1].first == kT0 + 682ms);
    CHECK(pair.two().changes[1].second.cause == "lb1 is backup and ranks lower (priority 100)");
    CHECK(pair.one().changes.size() == 1);  // started, nothing since
    CHECK(pair.two().holds_vip);
    CHECK_FALSE(pair.one().holds_vip);
    CHECK(pair.two().announces == 0);
    CHECK(pair.one().rejected.empty());
    CHECK(pair.two().rejected.empty());
}

TEST_CASE("at equal priority the higher id becomes master", "[unit][peer]") {
    Pair pair(settings("lb1", 100), settings("lb2", 100));
    pair.start(pair.one(), kT0);
    pair.start(pair.two(), kT0);
    pair.run_until(kT0 + 10s);
    CHECK(pair.two().machine->role() == PeerRole::Master);
    CHECK(pair.one().machine->role() == PeerRole::Backup);
    CHECK(pair.two().changes.at(1).first == kT0 + 721ms);
}

TEST_CASE(
    "a healed partition: the worse master steps down on the first advert, the better "
    "announces",
    "[unit][peer]") {
    // Both become master alone: lb2 at 682ms (adverts 882, 1082, ...), lb1 at 721ms (921,
    // 1121, ...).
    Pair pair(settings("lb1", 100), settings("lb2", 150));
    pair.linked = false;
    pair.start(pair.one(), kT0);
    pair.start(pair.two(), kT0);
    SECTION("the better master's advert arrives first") {
        pair.run_until(kT0 + 1000ms);
        CHECK(pair.one().holds_vip);
        CHECK(pair.two().holds_vip);
        pair.linked = true;
        pair.run_until(kT0 + 1082ms);
        REQUIRE(pair.one().changes.size() == 3);
        CHECK(pair.one().changes[2].first == kT0 + 1082ms);
        CHECK(pair.one().changes[2].second.cause ==
              "lb2 is also master and ranks higher (priority 150 > 100)");
        CHECK(pair.two().announces == 1);  // on lb1's parting advert
    }
    SECTION("the worse master's advert arrives first") {
        pair.run_until(kT0 + 1100ms);
        pair.linked = true;
        pair.run_until(kT0 + 1121ms);
        REQUIRE(pair.one().changes.size() == 3);
        CHECK(pair.one().changes[2].first == kT0 + 1121ms);
        CHECK(pair.two().announces == 2);  // the conflict won, then lb1's parting advert
    }
    CHECK_FALSE(pair.one().holds_vip);
    CHECK(pair.two().holds_vip);
    CHECK(pair.two().machine->role() == PeerRole::Master);
    CHECK(pair.one().machine->role() == PeerRole::Backup);
    pair.run_until(kT0 + 10s);
    CHECK(pair.one().machine->role() == PeerRole::Backup);
    CHECK(pair.two().changes.size() == 2);  // lb2 never left MASTER
}

TEST_CASE("step-down hands the VIP over after the peer's skew, and it stays there",
          "[unit][peer]") {
    Pair pair = steady_pair();
    pair.run_until(kT0 + 5s);
    pair.apply(pair.two(), pair.two().machine->step_down(pair.now, 10s, "operator"));
    CHECK_FALSE(pair.two().holds_vip);
    pair.run_until(kT0 + 5120ms);
    CHECK_FALSE(pair.one().holds_vip);
    pair.run_until(kT0 + 5121ms);
    CHECK(pair.one().holds_vip);
    CHECK(pair.one().changes.back().first == kT0 + 5121ms);
    CHECK(pair.one().changes.back().second.cause ==
          "lb2 gave mastership up (priority 0); took over after the skew of 121ms");
    // lb2 (no preempt) stays BACKUP after its hold too.
    pair.run_until(kT0 + 60s);
    CHECK(pair.two().machine->role() == PeerRole::Backup);
    CHECK(pair.one().machine->role() == PeerRole::Master);
}

TEST_CASE("preempt decides whether a returning better peer takes the VIP back", "[unit][peer]") {
    const bool preempt = GENERATE(false, true);
    INFO("preempt = " << preempt);
    Pair pair(settings("lb1", 100), settings("lb2", 150, preempt));
    pair.start(pair.one(), kT0);
    pair.run_until(kT0 + 5s);
    REQUIRE(pair.one().holds_vip);
    pair.start(pair.two(), kT0 + 5s);
    pair.run_until(kT0 + 5681ms);
    CHECK(pair.one().holds_vip);
    pair.run_until(kT0 + 60s);
    if (preempt) {
        // 682ms after lb2's start; lb1 steps down the same millisecond.
        REQUIRE(pair.two().changes.size() == 2);
        CHECK(pair.two().changes[1].first == kT0 + 5682ms);
        CHECK(pair.two().changes[1].second.cause ==
              "preempting lb1, a master that ranks lower (priority 100 < 150)");
        CHECK(pair.one().changes.back().first == kT0 + 5682ms);
        CHECK(pair.two().holds_vip);
        CHECK_FALSE(pair.one().holds_vip);
        CHECK(pair.two().announces == 1);
    } else {
        CHECK(pair.two().changes.size() == 1);
        CHECK(pair.one().holds_vip);
        CHECK_FALSE(pair.two().holds_vip);
    }
}

TEST_CASE("the master's fault hands the VIP over after the peer's skew", "[unit][peer]") {
    Pair pair = steady_pair();
    pair.run_until(kT0 + 5s);
    pair.apply(pair.two(), pair.two().machine->set_fault(true, "tracking failed", pair.now));
    pair.run_until(kT0 + 5121ms);
    CHECK(pair.one().holds_vip);
    CHECK(pair.one().changes.back().first == kT0 + 5121ms);
    CHECK_FALSE(pair.two().holds_vip);
    pair.apply(pair.two(), pair.two().machine->set_fault(false, "tracking recovered", pair.now));
    pair.run_until(kT0 + 60s);
    CHECK(pair.two().machine->role() == PeerRole::Backup);
    CHECK(pair.one().holds_vip);
}

TEST_CASE("a restarted peer is accepted, but not recordings, strangers or forgeries",
          "[unit][peer]") {
    Pair pair = steady_pair();
    pair.run_until(kT0 + 5s);
    const Bytes recorded = pair.two().sent.back();  // lb2's first boot, already heard by lb1
    const Bytes old_boot_unheard = [&] {
        // An advert of lb2's first boot that lb1 never saw (sequence above any it sent).
        Advert a = decode(recorded, pair.key()).value();
        a.sequence += 1000;
        return encode(a, pair.key());
    }();

    pair.restart(pair.two(), 0x3333, kT0 + 5s);
    CHECK_FALSE(pair.two().holds_vip);  // released at start
    pair.run_until(kT0 + 10s);
    CHECK(pair.one().rejected.empty());  // the new boot is admitted
    CHECK(pair.two().machine->role() == PeerRole::Master);
    CHECK(pair.two().changes.back().first == kT0 + 5682ms);
    CHECK(pair.one().machine->role() == PeerRole::Backup);

    Advert stranger = decode(recorded, pair.key()).value();
    stranger.instance_id = "lb9";
    Bytes oversized = recorded;
    oversized.resize(600);
    struct Row {
        const char* what;
        Bytes datagram;
        AdvertReject reason;
    };
    const std::vector<Row> rows = {
        {"a recording of the old boot", recorded, AdvertReject::Replayed},
        {"an unheard advert of the old boot", old_boot_unheard, AdvertReject::Replayed},
        {"an unknown instance", encode(stranger, pair.key()), AdvertReject::UnknownId},
        {"another key", encode(decode(recorded, pair.key()).value(), AdvertKey("guess")),
         AdvertReject::BadSignature},
        {"truncated", Bytes(recorded.begin(), recorded.end() - 1), AdvertReject::Short},
        {"oversized", oversized, AdvertReject::Oversized},
        {"bad version",
         [&] {
             Bytes b = recorded;
             b[4] = 9;
             return b;
         }(),
         AdvertReject::Malformed},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        CHECK(pair.deliver(pair.one(), row.datagram) == row.reason);
    }
    CHECK(pair.one().machine->role() == PeerRole::Backup);
    pair.run_until(kT0 + 20s);
    CHECK(pair.one().machine->role() == PeerRole::Backup);
    CHECK(pair.one().changes.size() == 1);
}

}  // namespace
}  // namespace lb::peer
