// What operators see of a running arbiter: `show arbiter [json]` on its admin socket, and its
// metrics. A snapshot taken on the arbiter's loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/duration.h"
#include "lb/peer/advert.h"

namespace lb::arbiter {

// One of the two instances the arbiter votes between, as last heard.
struct MemberStatus {
    std::string id;
    std::uint64_t requests = 0;                   // admitted (authentic and fresh)
    std::optional<std::uint64_t> last_heard_ms;   // since its last admitted request; none: never
    std::string last_address;                     // where that request came from
    std::string last_verdict;                     // "granted" | "refused" | "released"
};

struct ArbiterStatus {
    std::string bind;                   // "10.0.0.50:5406"
    Duration lease{0};                  // length of a grant
    std::vector<MemberStatus> members;  // in the config's order
    std::optional<std::string> holder;  // of an unexpired lease
    Duration remaining{0};              // of that lease
    Duration hold_off_remaining{0};     // after a restart, nothing is granted for one lease
    std::optional<peer::AdvertPolicy> newest;  // the newest decision reported by a member
    std::uint64_t requests = 0;                // admitted
    std::uint64_t granted = 0;                 // of which granted (renewals included)
    std::uint64_t refused = 0;
    std::uint64_t released = 0;
    std::uint64_t holder_changes = 0;               // the lease went to another member, or nobody
    std::map<std::string, std::uint64_t> rejected;  // dropped datagrams by reason, as adverts
};

}  // namespace lb::arbiter
