// The peer pair on a real network: two `lb run` instances in namespaces of their own, a client
// connecting to the VIP every 10 ms and a watcher of who holds the VIP. Each scenario prints its
// figures (failed connects, takeover gap, both-held time) and asserts bounds with a wide margin
// over what the timers allow (advert interval 100 ms: a crash is noticed after 3 × 100 ms plus
// lb2's skew of 22 ms, i.e. ~32 failed connects at most; a handover costs the skew, ~2), so that
// they hold on a loaded machine; bounds that follow from the order of operations (a planned
// handover never has both instances holding the VIP) are exact. Speed itself is compared in
// bench/peers/.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>

#include "lb/peer/advert.h"
#include "lb/peer/advert_auth.h"
#include "tests/netns/peer_pair_fixture.h"

namespace lb::test::netns {
namespace {

// Exactly one of the two is MASTER, the other BACKUP, and the VIP is on the master alone;
// the master's index, or -1.
int sole_master(const PeerPair& pair) {
    for (int i = 0; i < 2; ++i)
        if (pair.settled(i)) return i;
    return -1;
}

// Whether the watcher saw instance i hold the VIP at every sample in [from, to) (and saw some).
bool held_throughout(const PeerPair& pair, int i, SteadyClock::time_point from,
                     SteadyClock::time_point to) {
    std::size_t seen = 0;
    for (const auto& sample : pair.watcher().samples()) {
        if (sample.at < from || sample.at >= to) continue;
        if (!(sample.holders & PeerPair::bit(i))) return false;
        ++seen;
    }
    return seen > 0;
}

// A crash: SIGKILL, the backup takes over. Returns when clients are served again.
void crash_master(PeerPair& pair) {
    const auto killed_at = SteadyClock::now();
    pair.kill(0);
    const bool took_over = pair.wait_settled(1, deadline_in(3s));
    INFO(pair.describe());
    REQUIRE(took_over);
    REQUIRE(pair.wait_serving(killed_at, deadline_in(5s)));
    const Measurement crash =
        measure(pair, "crash: SIGKILL the master", killed_at, SteadyClock::now(), 1);
    report(crash);
    CHECK(crash.probe.failed <= 60);
    CHECK(crash.vip_moved_ms >= 0);
    // The transition is logged once, as a warning with its cause (the log is written by a thread
    // of its own: wait for it).
    const auto takeover_lines = [&] {
        return pair.lb(1).count_log([](std::string_view line) {
            return line.find(" warning ") != std::string_view::npos &&
                   line.find("peer: BACKUP -> MASTER: ") != std::string_view::npos;
        });
    };
    CHECK(wait_until([&] { return takeover_lines() > 0; }, deadline_in(2s)));
    CHECK(takeover_lines() == 1);
}

// A planned handover (SIGTERM, `peer step-down`) started just before `at`.
void check_handover(PeerPair& pair, const std::string& what, SteadyClock::time_point at) {
    const bool handed_over = pair.wait_settled(1, deadline_in(3s));
    INFO(pair.describe());
    REQUIRE(handed_over);
    REQUIRE(pair.wait_serving(at, deadline_in(5s)));
    const Measurement handover = measure(pair, what, at, SteadyClock::now(), 1);
    report(handover);
    CHECK(handover.probe.failed <= 6);
    CHECK(handover.probe.gap_ms < 150);
    // The master removes the VIP before its priority-0 advert leaves: never both.
    CHECK(handover.vip.both_ms == 0);
}

TEST_CASE(
    "SIGKILL of the master: the backup takes over, and the old master restarted without "
    "preempt stays BACKUP",
    "[netns][peer]") {
    PeerPair pair;
    crash_master(pair);

    pair.start(0);  // removes the VIP its predecessor left, then BACKUP
    const auto restarted_at = SteadyClock::now();
    CHECK(pair.wait_settled(1, deadline_in(3s)));
    // Three master-down intervals: long enough for a wrong takeover to show.
    CHECK(stays([&] { return pair.settled(1); }, 1200ms));
    const auto until = SteadyClock::now();
    const Measurement restart =
        measure(pair, "restart the old master, preempt = false", restarted_at, until, 1);
    report(restart);
    CHECK(restart.probe.failed == 0);
    CHECK_FALSE(ever_held(pair.watcher().samples(), 0, restarted_at, until));
}

TEST_CASE("SIGKILL of the master, then the old master restarted with preempt takes the VIP back",
          "[netns][peer]") {
    PairSettings settings;
    settings.preempt = true;
    PeerPair pair(settings);
    crash_master(pair);

    const auto restart_at = SteadyClock::now();
    pair.start(0);
    const bool preempted = pair.wait_settled(0, deadline_in(3s));
    INFO(pair.describe());
    REQUIRE(preempted);
    REQUIRE(pair.wait_serving(restart_at, deadline_in(5s)));
    CHECK(stays([&] { return pair.settled(0); }, 500ms));
    const Measurement back =
        measure(pair, "restart the old master, preempt = true", restart_at, SteadyClock::now(), 0);
    report(back);
    CHECK(back.probe.failed <= 6);
}

TEST_CASE("the master's link goes down: the backup takes over, and after link up one master",
          "[netns][peer]") {
    PeerPair pair;
    const auto down_at = SteadyClock::now();
    pair.net().link_down("lb1");
    const bool took_over = wait_until(
        [&] { return pair.role(1) == "master" && (pair.watcher().holders() & PeerPair::bit(1)); },
        deadline_in(3s), 10ms);
    INFO(pair.describe());
    REQUIRE(took_over);
    REQUIRE(pair.wait_serving(down_at, deadline_in(5s)));
    const Measurement down = measure(pair, "master's link down", down_at, SteadyClock::now(), 1);
    report(down);
    CHECK(down.probe.failed <= 60);
    // lb1 sees its carrier go: FAULT, the VIP given up, rather than a MASTER on a dead wire.
    const auto lb1 = pair.peer(0);
    REQUIRE(lb1);
    CHECK((*lb1)["role"].string() == "fault");
    CHECK((*lb1)["fault_reason"].string() == "eth0 has no carrier");
    CHECK_FALSE((*lb1)["vip_held"].boolean());

    const auto up_at = SteadyClock::now();
    pair.net().link_up("lb1");
    // lb1 leaves the link's FAULT as a BACKUP; its checks found both sites down while the link
    // was gone, so on hearing lb2, which reaches them, it is in FAULT again until its own checks
    // pass: it settles as BACKUP once it reaches a site.
    const bool settled = wait_until(
        [&] { return pair.settled(1) && pair.reaches_a_site(0); }, deadline_in(5s));
    INFO(pair.describe());
    REQUIRE(settled);
    CHECK(stays([&] { return pair.settled(1); }, 1s));
    REQUIRE(pair.wait_serving(up_at, deadline_in(5s)));
    const Measurement up = measure(pair, "link up: lb2 stays master", up_at, SteadyClock::now(), 1);
    report(up);
    // With preempt = false lb2 keeps the VIP throughout, and nothing moves.
    CHECK(held_throughout(pair, 1, up_at, SteadyClock::now()));
    CHECK(up.probe.failed == 0);
}

TEST_CASE("a partitioned master, healed: one master within a second, and no failed connect",
          "[netns][peer]") {
    PeerPair pair;
    const auto cut_at = SteadyClock::now();
    pair.net().partition("lb1");
    const bool took_over = wait_until(
        [&] { return pair.role(1) == "master" && (pair.watcher().holders() & PeerPair::bit(1)); },
        deadline_in(3s), 10ms);
    INFO(pair.describe());
    REQUIRE(took_over);
    REQUIRE(pair.wait_serving(cut_at, deadline_in(5s)));
    const Measurement cut = measure(pair, "partition the master", cut_at, SteadyClock::now(), 1);
    report(cut);
    CHECK(cut.probe.failed <= 60);
    CHECK(pair.role(0) == "master");  // it hears nothing: it still thinks it is
    // The scenario heals a master that has found both sites down (its checks time out behind the
    // cut). Healed sooner, it still reaches a site and outranks lb2 by priority: the VIP would
    // move back, as VRRP resolves two masters, and this test is not about that.
    const bool lost_sites = wait_until([&] { return !pair.reaches_a_site(0); }, deadline_in(5s));
    INFO(pair.describe());
    REQUIRE(lost_sites);

    const auto heal_at = SteadyClock::now();
    pair.net().heal("lb1");
    const bool one_master =
        wait_until([&] { return sole_master(pair) >= 0; }, deadline_in(3s), 10ms);
    const auto converged_ms = elapsed_ms(heal_at);
    INFO(pair.describe());
    REQUIRE(one_master);
    CHECK(converged_ms <= 1000);
    const int master = sole_master(pair);
    const auto until = heal_at + 2s;
    CHECK(stays([&] { return sole_master(pair) == master; }, until - SteadyClock::now()));
    REQUIRE(
        wait_until([&] { return !pair.prober().attempts_since(until).empty(); }, deadline_in(3s)));
    const Measurement heal =
        measure(pair, fmt::format("heal: lb{} master after {} ms", master + 1, converged_ms),
                heal_at, until, master);
    report(heal);
    // Cut off, lb1 found both sites down; lb2 reaches them. On hearing each other, lb1 goes to
    // FAULT (neither site reachable while the peer reaches one) and lb2, which ranks above it
    // for the same reason, keeps the VIP it holds and announces it again: nothing moves.
    CHECK(master == 1);
    CHECK(held_throughout(pair, 1, heal_at, until));
    CHECK(heal.probe.failed_to_connect == 0);
    CHECK(heal.probe.broken_after_connect == 0);
    // Cut off, lb1 (still MASTER, still deciding) saw the checks of both sites fail: a health
    // failover needs the standby's latest check to pass, so it stayed on site-a, and no newer
    // decision flips lb2 after the heal.
    for (int i = 0; i < 2; ++i) {
        const auto status = pair.status(i);
        INFO("lb" << i + 1);
        CHECK((status && (*status)["active_site"].string() == "site-a"));
    }
}

TEST_CASE("a master that loses a track target goes to FAULT and the backup takes over",
          "[netns][peer]") {
    // The tracked service (a router, a database both sites use) stands on the sites' node.
    PairSettings settings;
    settings.track_port = 9000;
    PeerPair pair(settings);
    CHECK(stays([&] { return pair.settled(0); }, 500ms));  // reachable: nothing happens

    const auto cut_at = SteadyClock::now();
    pair.net().cut_tcp("lb1", pair.net().address(kSiteAHost), settings.track_port);
    const bool faulted = wait_until(
        [&] {
            return pair.role(0) == "fault" && pair.role(1) == "master" &&
                   (pair.watcher().holders() == PeerPair::bit(1));
        },
        deadline_in(5s));
    INFO(pair.describe());
    REQUIRE(faulted);
    REQUIRE(pair.wait_serving(cut_at, deadline_in(5s)));
    const Measurement cut =
        measure(pair, "track target cut off from the master", cut_at, SteadyClock::now(), 1);
    report(cut);
    const auto lb1 = pair.peer(0);
    REQUIRE(lb1);
    CHECK((*lb1)["fault_reason"].string() ==
          "track " + pair.track_target() + " unreachable (timeout after 300ms (connect) ×3)");
    CHECK_FALSE((*lb1)["vip_held"].boolean());
    // A FAULT gives the VIP up before its priority-0 advert: a handover, never both holding.
    CHECK(cut.probe.failed <= 6);
    CHECK(cut.vip.both_ms == 0);

    const auto restored_at = SteadyClock::now();
    pair.net().restore_tcp("lb1");
    // lb1 BACKUP again; preempt = false: lb2 keeps the VIP.
    REQUIRE(pair.wait_settled(1, deadline_in(5s)));
    CHECK(stays([&] { return pair.settled(1); }, 500ms));
    CHECK(held_throughout(pair, 1, restored_at, SteadyClock::now()));
}

TEST_CASE("SIGTERM on the master hands the VIP over", "[netns][peer]") {
    PeerPair pair;
    const auto term_at = SteadyClock::now();
    pair.lb(0).signal(SIGTERM);
    check_handover(pair, "SIGTERM the master", term_at);
}

TEST_CASE("peer step-down on the master hands the VIP over, and it stays BACKUP", "[netns][peer]") {
    PeerPair pair;
    const auto step_at = SteadyClock::now();
    const ProgramResult ctl = pair.ctl(0, {"peer", "step-down"});
    INFO(ctl.out);
    CHECK(ctl.exit_code == 0);
    check_handover(pair, "lb ctl peer step-down", step_at);
    CHECK(stays([&] { return pair.settled(1); }, 1s));
}

TEST_CASE("forged, replayed and truncated adverts change nothing and are counted by reason",
          "[netns][peer]") {
    PeerPair pair;
    const std::string lb1 = pair.net().ip("lb1");
    const std::string client = pair.net().netns("cl");
    // A real advert from lb2 to lb1, as it crossed the wire (lb1 has admitted it by the time the
    // copies arrive, so they are replays).
    const auto captured =
        capture_udp(pair.net().netns("lb1"), pair.net().ip("lb2"), kPeerPort, deadline_in(3s));
    REQUIRE(captured);
    auto real_key = peer::AdvertKey::load(pair.key_file());
    REQUIRE(real_key.ok());
    const peer::DecodeResult genuine = peer::decode(*captured, real_key.value());
    REQUIRE(genuine.ok());
    CHECK(genuine.value().instance_id == "lb2");

    const peer::AdvertKey wrong_key("not the pair's key");
    peer::Advert forged = genuine.value();
    forged.sequence += 1000;
    const auto wrong = peer::encode(forged, wrong_key);
    forged.priority = 255;
    forged.role = peer::PeerRole::Master;
    forged.policy = peer::AdvertPolicy{"site-b", true, genuine.value().policy.epoch + 100};
    const auto takeover = peer::encode(forged, wrong_key);
    const std::vector<std::uint8_t> truncated(captured->begin(), captured->end() - 10);

    const auto sent_at = SteadyClock::now();
    CHECK(send_udp(client, lb1, kPeerPort, wrong));
    CHECK(send_udp(client, lb1, kPeerPort, *captured));
    CHECK(send_udp(client, lb1, kPeerPort, *captured));
    CHECK(send_udp(client, lb1, kPeerPort, truncated));
    CHECK(send_udp(client, lb1, kPeerPort, takeover));
    const auto counted = [&] {
        return pair.rejected(0, "bad_signature") == 2 && pair.rejected(0, "replayed") == 2 &&
               pair.rejected(0, "short") + pair.rejected(0, "malformed") == 1;
    };
    const bool all_counted = wait_until(counted, deadline_in(3s), 10ms);
    INFO("lb1 rejected: bad_signature " << pair.rejected(0, "bad_signature") << ", replayed "
                                        << pair.rejected(0, "replayed") << ", short "
                                        << pair.rejected(0, "short") << ", malformed "
                                        << pair.rejected(0, "malformed"));
    CHECK(all_counted);
    CHECK(stays([&] { return pair.settled(0); }, 1s));
    for (int i = 0; i < 2; ++i) {
        const auto status = pair.status(i);
        REQUIRE(status);
        CHECK((*status)["active_site"].string() == "site-a");
        CHECK((*status)["epoch"].number() == 0);
    }
    CHECK(pair.rejected(1, "bad_signature") == 0);
    const Measurement forgeries =
        measure(pair, "forged adverts to the master", sent_at, SteadyClock::now(), 0);
    report(forgeries);
    CHECK(forgeries.probe.failed == 0);
    CHECK(forgeries.vip.changes == 0);
}

TEST_CASE("a failover decided by the master survives its crash: the new master keeps site-b",
          "[netns][peer]") {
    PeerPair pair;
    const auto active_on = [&](int i) {
        const auto status = pair.status(i);
        return status ? (*status)["active_site"].string() : std::string();
    };
    const auto site_up = [&](int i, const std::string& site) {
        const auto status = pair.status(i);
        if (!status) return false;
        for (const auto& s : (*status)["sites"].items())
            if (s["name"].string() == site) return s["health"].string() == "up";
        return false;
    };
    pair.stop_site('a');
    const bool failed_over =
        wait_until([&] { return active_on(0) == "site-b" && active_on(1) == "site-b"; },
                   deadline_in(5s), 20ms);
    INFO(pair.describe());
    REQUIRE(failed_over);
    // site-a comes back; failback is manual, so traffic stays on site-b.
    pair.start_site('a');
    REQUIRE(wait_until([&] { return site_up(0, "site-a") && site_up(1, "site-a"); },
                       deadline_in(5s), 20ms));
    const auto kill_at = SteadyClock::now();
    REQUIRE(pair.wait_serving(kill_at, deadline_in(5s)));
    crash_master(pair);
    CHECK(stays([&] { return active_on(1) == "site-b"; }, 1s));
    const auto state = json::parse(read_file(pair.workspace(1).state_file()));
    REQUIRE(state.value);
    CHECK((*state.value)["active"].string() == "site-b");
    const ProbeSummary after = summarize(pair.prober().attempts(), kill_at, SteadyClock::now());
    INFO(describe(after));
    CHECK(after.bodies.size() == 1);
    CHECK(after.bodies.count("site-b") == 1);
}

TEST_CASE(
    "IPv6 VIP: SIGKILL of the master, the backup takes over and its unsolicited neighbour "
    "advertisement moves the client's neighbour entry to the new master's MAC",
    "[netns][peer][ipv6]") {
    PairSettings settings;
    settings.ipv6_vip = true;
    PeerPair pair(settings);
    const std::string vip = pair.vip();
    const std::string old_mac = pair.net().mac("lb1");
    const std::string new_mac = pair.net().mac("lb2");
    INFO("lb1 " << old_mac << ", lb2 " << new_mac);
    REQUIRE(!old_mac.empty());
    REQUIRE(!new_mac.empty());
    REQUIRE(old_mac != new_mac);
    // The client has been reaching the VIP at lb1: its neighbour entry holds lb1's MAC.
    const NetnsTopology::Neighbour before = pair.net().neighbour("cl", vip);
    INFO("client's neighbour entry before: " << before.line);
    REQUIRE(before.mac == old_mac);

    const auto killed_at = SteadyClock::now();
    pair.kill(0);
    // lb1's namespace keeps the VIP and its kernel answers for it (refusing connects): without
    // the advertisement the client would stay on lb1's MAC until its entry expired, and lb1
    // would confirm it again.
    NetnsTopology::Neighbour entry;
    std::optional<SteadyClock::time_point> entry_moved_at;
    const bool entry_moved = wait_until(
        [&] {
            entry = pair.net().neighbour("cl", vip);
            if (entry.mac != new_mac) return false;
            entry_moved_at = SteadyClock::now();
            return true;
        },
        deadline_in(3s), 5ms);
    INFO(pair.describe() << "client's neighbour entry: " << entry.line);
    REQUIRE(entry_moved);
    const bool took_over = pair.wait_settled(1, deadline_in(3s));
    REQUIRE(took_over);
    REQUIRE(pair.wait_serving(killed_at, deadline_in(5s)));
    const Measurement crash =
        measure(pair, "IPv6 VIP, crash: SIGKILL the master", killed_at, SteadyClock::now(), 1);
    report(crash);
    CHECK(crash.probe.failed <= 60);
    REQUIRE(crash.vip_moved_ms >= 0);
    const auto entry_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(*entry_moved_at - killed_at).count();
    WARN("IPv6 VIP: the client's neighbour entry held lb2's MAC "
         << entry_ms << " ms after the SIGKILL (" << entry_ms - crash.vip_moved_ms
         << " ms after the watcher saw the VIP on lb2): " << entry.line);
    // The first advertisement leaves as the VIP is added; the watcher samples every 5 ms and
    // `ip neigh` is polled every 5 ms or so: a second is a wide margin.
    CHECK(entry_ms - crash.vip_moved_ms <= 1000);
    // Every connect started once the entry held lb2's MAC reached lb2.
    const ProbeSummary after =
        summarize(pair.prober().attempts(), *entry_moved_at, SteadyClock::now());
    INFO(describe(after));
    CHECK(after.failed == 0);
    CHECK(after.total > 0);
    // And the old MAC does not come back, although lb1's namespace still answers for the VIP.
    CHECK(stays(
        [&] {
            entry = pair.net().neighbour("cl", vip);
            return entry.mac == new_mac;
        },
        1s));
    INFO("client's neighbour entry: " << entry.line);
    CHECK(pair.settled(1));
}

TEST_CASE(
    "multicast adverts: election, takeover after SIGKILL of the master, and an instance "
    "alone in the group hears nothing of its own",
    "[netns][peer][multicast]") {
    PairSettings settings;
    settings.multicast_group = "224.0.0.18";
    PeerPair pair(settings);  // lb1 MASTER, lb2 BACKUP, and clients served: REQUIREd
    const auto counter = [&](int i, const char* name) -> long long {
        const auto p = pair.peer(i);
        return p ? static_cast<long long>((*p)[name].number()) : -1;
    };
    const auto rejections = [&](int i) {
        std::string out;
        if (const auto p = pair.peer(i))
            for (const auto& [reason, count] : (*p)["adverts_rejected"].members())
                if (count.number() != 0) out += fmt::format(" {} {}", reason, count.number());
        return out;
    };
    auto key = peer::AdvertKey::load(pair.key_file());
    REQUIRE(key.ok());
    // Who sent the adverts a group member of our own in `node`'s namespace hears for a second
    // ("lb1 9, lb2 0"): multicast loopback is per sender, so lb's own adverts reach a socket
    // beside it only if lb left loopback on, and then they would reach lb too.
    const auto heard_in = [&](const std::string& node) {
        std::map<std::string, int> senders{{"lb1", 0}, {"lb2", 0}};
        for (const auto& datagram :
             receive_multicast(pair.net().netns(node), settings.multicast_group,
                               pair.net().ip(node), kPeerPort, 1s)) {
            const peer::DecodeResult advert = peer::decode(datagram, key.value());
            if (advert.ok()) ++senders[advert.value().instance_id];
        }
        return senders;
    };
    // Both hear each other through the group, and the roles hold.
    const auto in_lb2 = heard_in("lb2");
    INFO("heard in lb2's namespace: lb1 " << in_lb2.at("lb1") << ", lb2 " << in_lb2.at("lb2"));
    CHECK(in_lb2.at("lb1") >= 5);  // one every 100 ms
    CHECK(in_lb2.at("lb2") == 0);
    CHECK(pair.settled(0));
    CHECK(stays([&] { return pair.settled(0); }, 500ms));
    for (int i = 0; i < 2; ++i) {
        INFO(PeerPair::name(i) << ": sent " << counter(i, "adverts_sent") << ", received "
                               << counter(i, "adverts_received") << ", rejected" << rejections(i));
        CHECK(counter(i, "adverts_received") > 0);
        CHECK(rejections(i).empty());
    }

    crash_master(pair);

    // lb2 alone in the group: it keeps sending and receives nothing (its own adverts are not
    // looped back to it, nor taken for a peer's).
    const long long sent_before = counter(1, "adverts_sent");
    const long long received_before = counter(1, "adverts_received");
    const auto alone = heard_in("lb2");
    INFO("heard in lb2's namespace, lb2 alone: lb1 " << alone.at("lb1") << ", lb2 "
                                                     << alone.at("lb2"));
    CHECK(alone.at("lb1") == 0);
    CHECK(alone.at("lb2") == 0);
    CHECK(pair.settled(1));
    const long long sent_after = counter(1, "adverts_sent");
    const long long received_after = counter(1, "adverts_received");
    INFO("lb2 alone: sent " << sent_before << " -> " << sent_after << ", received "
                            << received_before << " -> " << received_after << ", rejected"
                            << rejections(1));
    CHECK(sent_after >= sent_before + 5);  // one every 100 ms
    CHECK(received_after == received_before);
    CHECK(rejections(1).empty());

    // lb1 restarted joins the group, hears lb2 as MASTER and stays BACKUP (preempt = false).
    pair.start(0);
    const auto restarted_at = SteadyClock::now();
    const bool settled = pair.wait_settled(1, deadline_in(3s));
    INFO(pair.describe());
    CHECK(settled);
    CHECK(stays([&] { return pair.settled(1); }, 1200ms));
    const auto until = SteadyClock::now();
    CHECK(counter(0, "adverts_received") > 0);
    const Measurement restart =
        measure(pair, "multicast: restart the old master, preempt = false", restarted_at, until, 1);
    report(restart);
    CHECK(restart.probe.failed == 0);
    CHECK_FALSE(ever_held(pair.watcher().samples(), 0, restarted_at, until));
}

TEST_CASE("IPv6 multicast adverts (ff02::12) with an IPv6 VIP: election and takeover after SIGKILL",
          "[netns][peer][multicast][ipv6]") {
    PairSettings settings;
    settings.ipv6_vip = true;
    settings.multicast_group = "ff02::12";
    PeerPair pair(settings);
    // Longer than lb2's master-down interval (~322 ms): lb2 hears lb1 through the group.
    CHECK(stays([&] { return pair.settled(0); }, 1s));
    for (int i = 0; i < 2; ++i) {
        const auto p = pair.peer(i);
        REQUIRE(p);
        INFO(PeerPair::name(i) << ": sent " << (*p)["adverts_sent"].number() << ", received "
                               << (*p)["adverts_received"].number());
        CHECK((*p)["adverts_received"].number() > 0);
    }
    crash_master(pair);
    CHECK(stays([&] { return pair.settled(1); }, 500ms));
}

}  // namespace
}  // namespace lb::test::netns
