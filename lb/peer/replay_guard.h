// Freshness of authenticated adverts: an advert is admitted only from a configured instance id,
// and only if it is newer than what that instance's adverts already said. Pure: no I/O, no time.
// Invariant: per instance id, the admitted (boot id, sequence) pairs never repeat, and a boot id
// that was superseded by a newer one is never admitted again (within the memory below).
//
// The rule for one instance id, given its current boot id B and last sequence S:
//   - boot id B and sequence > S: admitted (S moves up);
//   - boot id B and sequence <= S: replayed;
//   - a boot id among the last kRememberedBoots superseded ones: replayed;
//   - any other boot id: the peer restarted; admitted, and B joins the superseded ones.
// A restarted peer draws a fresh random boot id (random_boot_id()), so it is admitted at once,
// without any state on disk. What an attacker can replay is then limited to adverts of a boot id
// this guard has never seen. Once the real peer's current boot has been heard, every advert
// recorded from an earlier boot is dropped. The remaining gap: after this process starts, and
// before it hears the real peer, a recording of a boot it never saw is admitted. Such a recording
// still ends when the peer's next real advert supersedes it. Closing that gap needs time or a
// challenge in the protocol, and is not done here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lb/peer/advert.h"

namespace lb::peer {

struct Admission {
    std::optional<AdvertError> rejected;  // set: drop the advert, count its reason
    bool new_boot = false;  // admitted with a boot id not seen before: the peer (re)started

    [[nodiscard]] bool admitted() const { return !rejected.has_value(); }
};

class ReplayGuard {
public:
    // Superseded boot ids remembered per instance: one per restart of the peer while this process
    // runs. A boot id older than that could be replayed again; sixteen restarts of the peer inside
    // one run of this one is beyond what it is meant to absorb.
    static constexpr std::size_t kRememberedBoots = 16;

    // The peers' instance ids (not this instance's own: its adverts reflected back are unknown).
    explicit ReplayGuard(const std::vector<std::string>& known_ids);

    // Call for adverts that decode() accepted (so authentic), in arrival order. Records an
    // admitted advert; a rejected one changes nothing.
    [[nodiscard]] Admission admit(const Advert& advert) {
        return admit(advert.instance_id, advert.boot_id, advert.sequence);
    }
    // The same for any authenticated message that carries a sender id, a boot id and a sequence
    // number (the arbiter's lease requests and replies).
    [[nodiscard]] Admission admit(std::string_view id, std::uint64_t boot_id,
                                  std::uint64_t sequence);

private:
    struct History {
        std::optional<std::uint64_t> boot_id;  // unset until the first admitted advert
        std::uint64_t last_sequence = 0;
        std::deque<std::uint64_t> superseded;  // oldest first, at most kRememberedBoots
    };

    std::map<std::string, History, std::less<>> peers_;
};

}  // namespace lb::peer
