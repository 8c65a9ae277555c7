// This instance's side of the arbiter's lease: when to ask, and until when the lease is held, as
// far as this instance can know. Pure: no I/O, time comes in as `now` (monotonic).
//
// Rules (tests/unit/peer/lease_client_test.cpp):
// - while the lease is wanted, a request goes out at once and then every `renew_every`;
// - a grant holds the lease until the request's send time + the granted length less a quarter
//   (at least 1 ms), never from when the reply arrived: the arbiter received the request after it
//   was sent, so its expiry is later than this view's, and this instance always lets go first;
// - a grant shorter than three renewals brings the renewals down to a third of it (the arbiter's
//   `lease` rules, whatever this instance assumed);
// - a grant only extends the lease (a reordered older grant never shortens it); a refusal of a
//   request sent at t naming a holder ends the lease by t at the latest (someone else held it
//   after t); a refusal naming nobody (the arbiter restarted and waits out one lease) leaves the
//   lease to end by itself;
// - a reply to a request this client did not send (another instance id, another boot id of this
//   one, a sequence not in flight), or sent longer ago than a lease (it can grant nothing that
//   has not run out), is ignored and counted as stale; so is a reply to an acquire sent before a
//   release;
// - no longer wanted: one release request, and the lease ends here at once;
// - a `now` that does not advance changes nothing by itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "config/duration.h"
#include "lb/peer/lease_message.h"

namespace lb::peer {

// What a reply changed, for the caller's log and its policy.
struct LeaseUpdate {
    bool stale = false;          // ignored: not an answer to a request in flight
    bool gained = false;         // the lease is held now and was not before
    bool lost = false;           // the lease was held and no longer is
    std::optional<AdvertPolicy> newest;  // the arbiter's newest decision, if it knows one
};

class LeaseClient {
public:
    // `lease` is what the arbiter grants (to judge stale replies before the first grant);
    // `renew_every` well below it (a third, so two requests may be lost).
    LeaseClient(std::string id, std::uint64_t boot_id, Duration lease, Duration renew_every);

    // Start or stop asking. Stopping returns the release request to send (when the lease was
    // wanted), and the lease ends here at once.
    [[nodiscard]] std::optional<LeaseRequest> want(bool wanted, const AdvertPolicy& policy,
                                                   TimePoint now);
    // A request at once, whatever the schedule (the decision changed: the arbiter must learn it
    // before anything else can happen); nullopt when the lease is not wanted.
    [[nodiscard]] std::optional<LeaseRequest> renew_now(const AdvertPolicy& policy,
                                                        TimePoint now);
    // The request due at `now`, if any (call at next_deadline()).
    [[nodiscard]] std::optional<LeaseRequest> tick(const AdvertPolicy& policy, TimePoint now);
    // When tick() must run next: the next request, or the lease's end (tick() then forgets it);
    // nullopt when idle.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    // A reply that decoded and passed the replay guard.
    [[nodiscard]] LeaseUpdate on_reply(const LeaseReply& reply, TimePoint now);

    [[nodiscard]] bool held(TimePoint now) const { return valid_until_ && now < *valid_until_; }
    [[nodiscard]] std::optional<TimePoint> valid_until() const { return valid_until_; }
    [[nodiscard]] bool wanted() const { return wanted_; }
    // The holder the arbiter named in its last refusal ("" before any).
    [[nodiscard]] const std::string& refused_by() const { return refused_by_; }
    [[nodiscard]] std::optional<TimePoint> last_reply_at() const { return last_reply_at_; }

private:
    [[nodiscard]] LeaseRequest request(LeaseKind kind, const AdvertPolicy& policy, TimePoint now);
    void forget_old(TimePoint now);

    std::string id_;
    std::uint64_t boot_id_;
    Duration lease_;
    Duration renew_every_;
    std::uint64_t sequence_ = 0;
    bool wanted_ = false;
    TimePoint next_request_{};
    std::optional<TimePoint> valid_until_;
    std::map<std::uint64_t, TimePoint> in_flight_;  // request sequence -> sent at
    std::string refused_by_;
    std::optional<TimePoint> last_reply_at_;
};

}  // namespace lb::peer
