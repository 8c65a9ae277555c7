// Helpers for the PeerMachine tests: settings, action names, and a bench that drives one machine
// as the daemon's driver will (tick() at next_deadline()), with a scripted peer's adverts.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lb/peer/peer_machine.h"

namespace lb::peer::testing {

using namespace std::chrono_literals;

// Any instant will do; tests add offsets to it.
inline const TimePoint kT0 = TimePoint(Duration(1'000'000));
inline constexpr std::uint64_t kBoot = 0xb001;
inline const AdvertPolicy kPolicy{"site-a", false, 3};

inline config::Peer settings(std::string id = "lb1", int priority = 100, bool preempt = false,
                             Duration interval = 200ms) {
    config::Peer peer;
    peer.id = std::move(id);
    peer.priority = priority;
    peer.preempt = preempt;
    peer.advert_interval = interval;
    return peer;
}

inline std::vector<std::string> names(const Reaction& reaction) {
    std::vector<std::string> out;
    for (const PeerAction& action : reaction.actions) out.push_back(to_string(action));
    return out;
}

// The adverts among a reaction's actions, in order.
inline std::vector<Advert> adverts(const Reaction& reaction) {
    std::vector<Advert> out;
    for (const PeerAction& action : reaction.actions)
        if (const auto* send = std::get_if<SendAdvert>(&action)) out.push_back(send->advert);
    return out;
}

// An advert from the peer; the bench numbers its sequence.
inline Advert from_peer(PeerRole role, int priority, std::string id = "lb2",
                        Duration interval = 200ms, AdvertPolicy policy = kPolicy) {
    return {std::move(id), priority, role, std::move(policy), 0xb002, 0, interval};
}

// One machine on manual time: tick() at each deadline, and the peer's adverts (if any) every
// `peer_every` from `peer_next`, an advert first when both fall on the same millisecond.
struct Bench {
    explicit Bench(const config::Peer& peer_settings = settings(), TimePoint start = kT0)
        : machine(peer_settings, kBoot, kPolicy), now(start) {
        record(machine.start(now));
    }

    void record(const Reaction& reaction) {
        if (reaction.change) changes.emplace_back(now, *reaction.change);
        for (const PeerAction& action : reaction.actions) {
            actions.push_back(to_string(action));
            if (const auto* send = std::get_if<SendAdvert>(&action)) sent.push_back(send->advert);
        }
    }

    // The peer starts advertising `advert` at `first`, then every `every`.
    void peer_adverts(Advert advert, TimePoint first, Duration every = 200ms) {
        peer = std::move(advert);
        peer_next = first;
        peer_every = every;
    }
    void peer_stops() { peer.reset(); }

    void deliver(Advert advert, TimePoint at) {
        run_until(at);
        record(machine.on_advert(advert, at));
    }

    // Runs every deadline and peer advert up to and including `until`; now = until after.
    void run_until(TimePoint until) {
        for (;;) {
            const std::optional<TimePoint> deadline = machine.next_deadline();
            REQUIRE(deadline.has_value());
            REQUIRE(*deadline >= now);  // a deadline in the past would spin a driver too
            const bool peer_first = peer && peer_next <= *deadline;
            const TimePoint at = peer_first ? peer_next : *deadline;
            if (at > until) break;
            now = at;
            if (peer_first) {
                ++peer->sequence;
                record(machine.on_advert(*peer, now));
                peer_next += peer_every;
            } else {
                record(machine.tick(now));
                // A tick that leaves its deadline where it was would spin the driver's timer.
                REQUIRE(*machine.next_deadline() > now);
            }
        }
        now = until;
    }

    // The role changes after start(), with their times.
    [[nodiscard]] std::vector<std::pair<TimePoint, RoleChange>> changes_after_start() const {
        return {changes.begin() + 1, changes.end()};
    }

    PeerMachine machine;
    TimePoint now;
    std::vector<std::pair<TimePoint, RoleChange>> changes;
    std::vector<std::string> actions;
    std::vector<Advert> sent;
    std::optional<Advert> peer;
    TimePoint peer_next{};
    Duration peer_every = 200ms;
};

}  // namespace lb::peer::testing
