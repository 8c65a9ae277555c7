// The arbiter's one lease, which makes it the pair's third vote: granted to at most one member at
// a time, renewed by its holder, refused to the other until it has run out unrenewed. Also the
// newest policy decision any member has reported, handed back in every reply so an instance that
// restarts after both were down learns it. Pure: no I/O, time comes in as `now` (monotonic).
//
// Rules (tests/unit/arbiter/lease_table_test.cpp):
// - acquire by the holder renews: the lease runs `lease` from now;
// - acquire by a member while another holds an unexpired lease (now < expiry) is refused, with
//   the holder and its time left;
// - acquire with nobody holding, or the lease expired (now >= expiry), grants;
// - release by the holder ends the lease at once; by anyone else it changes nothing;
// - requests from ids that are not members are refused (the replay guard drops them first);
// - after hold_off(now) (the arbiter's start), every acquire is refused for one lease: a holder
//   from before a restart may still count on its lease that long.
// An instance counts its lease from when it sent the request, before the arbiter receives it, so
// the instance's view of a lease always ends before the arbiter's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/duration.h"
#include "lb/peer/lease_message.h"

namespace lb::arbiter {

struct LeaseAnswer {
    peer::LeaseVerdict verdict = peer::LeaseVerdict::Refused;
    std::string holder;  // after the request; "" when nobody
    Duration lease{0};   // granted: its length; refused: the holder's time left
};

class LeaseTable {
public:
    LeaseTable(std::vector<std::string> members, Duration lease);

    [[nodiscard]] LeaseAnswer acquire(std::string_view member, TimePoint now);
    [[nodiscard]] LeaseAnswer release(std::string_view member, TimePoint now);
    // Keeps `policy` when its epoch is above the newest one's (or none is known); true if kept.
    bool offer(const peer::AdvertPolicy& policy);
    // Refuses every acquire until now + lease.
    void hold_off(TimePoint now) { hold_off_until_ = now + lease_; }

    // The holder of an unexpired lease, or nullopt.
    [[nodiscard]] std::optional<std::string> holder(TimePoint now) const;
    [[nodiscard]] Duration remaining(TimePoint now) const;  // 0 when nobody holds it
    // Until every acquire may be granted again after hold_off(); 0 when that time is past.
    [[nodiscard]] Duration hold_off_remaining(TimePoint now) const {
        return now < hold_off_until_ ? hold_off_until_ - now : Duration{0};
    }
    [[nodiscard]] const std::optional<peer::AdvertPolicy>& newest() const { return newest_; }
    [[nodiscard]] Duration lease() const { return lease_; }
    [[nodiscard]] const std::vector<std::string>& members() const { return members_; }

private:
    [[nodiscard]] bool member(std::string_view id) const;

    std::vector<std::string> members_;
    Duration lease_;
    std::string holder_;  // "" when nobody
    TimePoint expiry_{};
    TimePoint hold_off_until_{};
    std::optional<peer::AdvertPolicy> newest_;
};

}  // namespace lb::arbiter
