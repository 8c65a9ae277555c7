// LeaseClient with time as plain values: when it asks, how long a grant holds (counted from the
// send, never from the reply), delayed, reordered and stale replies, refusal, release, and a
// clock that does not advance.
#include "lb/peer/lease_client.h"

#include <catch2/catch.hpp>

namespace lb::peer {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(Duration(1'000'000));
const AdvertPolicy kPolicy{"site-a", false, 3};
constexpr Duration kLease = 300ms;
constexpr Duration kRenew = 100ms;

LeaseClient client() { return LeaseClient("lb1", 0xb1, kLease, kRenew); }

LeaseReply reply_to(const LeaseRequest& request, LeaseVerdict verdict,
                    const std::string& holder = "lb1", Duration lease = kLease) {
    return {"lb1",        verdict,         holder,          lease, std::nullopt, 0xa1,
            request.sequence, request.boot_id, request.sequence};
}

TEST_CASE("an idle client asks nothing, and wanting the lease asks at once, then every renewal",
          "[unit][peer]") {
    LeaseClient c = client();
    CHECK_FALSE(c.next_deadline());
    CHECK_FALSE(c.tick(kPolicy, kT0));
    CHECK_FALSE(c.want(true, kPolicy, kT0));
    CHECK(c.next_deadline() == kT0);
    const auto first = c.tick(kPolicy, kT0);
    REQUIRE(first);
    CHECK(first->kind == LeaseKind::Acquire);
    CHECK(first->instance_id == "lb1");
    CHECK(first->policy == kPolicy);
    CHECK(first->sequence == 1);
    CHECK_FALSE(c.tick(kPolicy, kT0));  // the clock did not advance: nothing more
    CHECK(c.next_deadline() == kT0 + kRenew);
    CHECK_FALSE(c.tick(kPolicy, kT0 + kRenew - 1ms));
    const auto second = c.tick(kPolicy, kT0 + kRenew);
    REQUIRE(second);
    CHECK(second->sequence == 2);
}

// A grant of 300ms holds 225ms from the send: a quarter less, so this view ends first.
constexpr Duration kHeld = 225ms;

TEST_CASE("a grant holds from the request's send time, not from the reply's arrival",
          "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    // The reply takes 40 ms: the arbiter's lease runs from at least kT0 + something.
    const LeaseUpdate update = c.on_reply(reply_to(*request, LeaseVerdict::Granted), kT0 + 40ms);
    CHECK(update.gained);
    CHECK(c.held(kT0 + 40ms));
    CHECK(c.valid_until() == kT0 + kHeld);
    CHECK(c.held(kT0 + kHeld - 1ms));
    CHECK_FALSE(c.held(kT0 + kHeld));  // the edge: over at exactly send + lease - lease/4
    // The lease's end is a deadline of its own.
    CHECK(c.next_deadline() == kT0 + kRenew);
}

TEST_CASE("the lease ends at its edge when renewals go unanswered", "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    (void)c.on_reply(reply_to(*request, LeaseVerdict::Granted), kT0 + 1ms);
    TimePoint now = kT0;
    // Renewals at +100, +200 get no answer: the deadlines lead exactly to the edge.
    while (const auto deadline = c.next_deadline()) {
        if (*deadline > kT0 + kHeld) break;
        now = *deadline;
        (void)c.tick(kPolicy, now);
    }
    CHECK(now == kT0 + kHeld);
    CHECK_FALSE(c.held(now));
    CHECK_FALSE(c.valid_until());
    CHECK(*c.next_deadline() > now);  // no deadline in the past
}

TEST_CASE("a delayed grant for an old request extends nothing past what it can hold",
          "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto first = c.tick(kPolicy, kT0);
    const auto second = c.tick(kPolicy, kT0 + kRenew);
    REQUIRE((first && second));
    // Reordered: the second's grant first, then the first's.
    CHECK(c.on_reply(reply_to(*second, LeaseVerdict::Granted), kT0 + kRenew + 5ms).gained);
    CHECK(c.valid_until() == kT0 + kRenew + kHeld);
    const LeaseUpdate late = c.on_reply(reply_to(*first, LeaseVerdict::Granted), kT0 + 150ms);
    CHECK_FALSE(late.stale);
    CHECK(c.valid_until() == kT0 + kRenew + kHeld);  // not shortened
    // A reply to the same request again (a duplicate) is stale.
    CHECK(c.on_reply(reply_to(*first, LeaseVerdict::Granted), kT0 + 160ms).stale);
}

TEST_CASE("a reply to a request sent a lease ago or more is stale", "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    const LeaseUpdate update = c.on_reply(reply_to(*request, LeaseVerdict::Granted), kT0 + kLease);
    CHECK(update.stale);
    CHECK_FALSE(c.held(kT0 + kLease));
}

TEST_CASE("replies to requests never sent, or to another instance, are stale", "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    LeaseReply forged = reply_to(*request, LeaseVerdict::Granted);
    forged.request_sequence = 99;
    CHECK(c.on_reply(forged, kT0 + 1ms).stale);
    LeaseReply other = reply_to(*request, LeaseVerdict::Granted);
    other.instance_id = "lb2";
    CHECK(c.on_reply(other, kT0 + 1ms).stale);
    // A reply to this instance's previous process (same id and sequence, another boot id).
    LeaseReply previous = reply_to(*request, LeaseVerdict::Granted);
    previous.request_boot_id = request->boot_id + 1;
    CHECK(c.on_reply(previous, kT0 + 1ms).stale);
    CHECK_FALSE(c.held(kT0 + 1ms));
}

TEST_CASE("a refusal naming nobody (the arbiter just restarted) leaves the lease to its own end",
          "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto granted = c.tick(kPolicy, kT0);
    REQUIRE(granted);
    (void)c.on_reply(reply_to(*granted, LeaseVerdict::Granted), kT0 + 1ms);
    const auto refused = c.tick(kPolicy, kT0 + kRenew);
    REQUIRE(refused);
    // The restarted arbiter grants nobody for a lease from its start, which is after this
    // grant's request was sent: the view, ending sooner, stays.
    const LeaseUpdate update = c.on_reply(reply_to(*refused, LeaseVerdict::Refused, ""),
                                          kT0 + kRenew + 1ms);
    CHECK_FALSE(update.lost);
    CHECK(c.valid_until() == kT0 + kHeld);
    CHECK(c.refused_by().empty());
}

TEST_CASE("a grant shorter than three renewals brings the renewals down to a third of it",
          "[unit][peer]") {
    LeaseClient c = client();  // assumes 300ms leases renewed every 100ms
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    (void)c.on_reply(reply_to(*request, LeaseVerdict::Granted, "lb1", 150ms), kT0 + 1ms);
    CHECK(c.valid_until() == kT0 + 150ms - 150ms / 4);
    CHECK(c.next_deadline() == kT0 + 50ms);
    const auto renewal = c.tick(kPolicy, kT0 + 50ms);
    REQUIRE(renewal);
    CHECK(c.next_deadline() == kT0 + 100ms);
}

TEST_CASE("a refusal ends the lease by the refused request's send time", "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto first = c.tick(kPolicy, kT0);
    REQUIRE(first);
    (void)c.on_reply(reply_to(*first, LeaseVerdict::Granted), kT0 + 1ms);
    const auto second = c.tick(kPolicy, kT0 + kRenew);
    REQUIRE(second);
    const LeaseUpdate refused =
        c.on_reply(reply_to(*second, LeaseVerdict::Refused, "lb2", 250ms), kT0 + kRenew + 1ms);
    CHECK(refused.lost);
    CHECK_FALSE(c.held(kT0 + kRenew + 1ms));
    CHECK(c.refused_by() == "lb2");
}

TEST_CASE("not wanting the lease any more sends one release and ends it at once",
          "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    (void)c.on_reply(reply_to(*request, LeaseVerdict::Granted), kT0 + 1ms);
    const auto release = c.want(false, kPolicy, kT0 + 50ms);
    REQUIRE(release);
    CHECK(release->kind == LeaseKind::Release);
    CHECK_FALSE(c.held(kT0 + 50ms));
    CHECK_FALSE(c.next_deadline());
    CHECK_FALSE(c.want(false, kPolicy, kT0 + 60ms));  // once
    // A grant arriving after letting go holds nothing.
    CHECK_FALSE(c.on_reply(reply_to(*request, LeaseVerdict::Granted), kT0 + 70ms).gained);
    CHECK_FALSE(c.held(kT0 + 70ms));
}

TEST_CASE("renew_now asks at once when the lease is wanted, and only then", "[unit][peer]") {
    LeaseClient c = client();
    CHECK_FALSE(c.renew_now(kPolicy, kT0));
    (void)c.want(true, kPolicy, kT0);
    REQUIRE(c.tick(kPolicy, kT0));
    const AdvertPolicy failed_over{"site-b", false, 4};
    const auto now = c.renew_now(failed_over, kT0 + 10ms);
    REQUIRE(now);
    CHECK(now->policy == failed_over);
    CHECK(c.next_deadline() == kT0 + 10ms + kRenew);
}

TEST_CASE("the arbiter's newest decision comes back with every reply", "[unit][peer]") {
    LeaseClient c = client();
    (void)c.want(true, kPolicy, kT0);
    const auto request = c.tick(kPolicy, kT0);
    REQUIRE(request);
    LeaseReply reply = reply_to(*request, LeaseVerdict::Refused, "lb2", 100ms);
    reply.newest = AdvertPolicy{"site-b", false, 8};
    const LeaseUpdate update = c.on_reply(reply, kT0 + 1ms);
    REQUIRE(update.newest);
    CHECK(update.newest->active_site == "site-b");
    CHECK(update.newest->epoch == 8);
}

}  // namespace
}  // namespace lb::peer
