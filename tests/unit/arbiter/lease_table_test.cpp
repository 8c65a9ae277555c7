// The arbiter's lease table with time as plain values: one holder at a time, renewal, expiry at
// the edge, release, non-members, the newest decision, and a clock that does not advance.
#include "lb/arbiter/lease_table.h"

#include <catch2/catch.hpp>

namespace lb::arbiter {
namespace {

using namespace std::chrono_literals;
using peer::LeaseVerdict;

const TimePoint kT0 = TimePoint(Duration(1'000'000));

LeaseTable table() { return LeaseTable({"lb1", "lb2"}, 300ms); }

TEST_CASE("the first member to ask gets the lease, and the other is refused while it runs",
          "[unit][arbiter]") {
    LeaseTable t = table();
    CHECK_FALSE(t.holder(kT0));
    const LeaseAnswer first = t.acquire("lb1", kT0);
    CHECK(first.verdict == LeaseVerdict::Granted);
    CHECK(first.holder == "lb1");
    CHECK(first.lease == 300ms);
    const LeaseAnswer other = t.acquire("lb2", kT0 + 100ms);
    CHECK(other.verdict == LeaseVerdict::Refused);
    CHECK(other.holder == "lb1");
    CHECK(other.lease == 200ms);
    // The same instant again: nothing changes.
    CHECK(t.acquire("lb2", kT0 + 100ms).verdict == LeaseVerdict::Refused);
    CHECK(t.holder(kT0 + 100ms) == "lb1");
}

TEST_CASE("the holder renews, and unrenewed the lease runs out at its edge", "[unit][arbiter]") {
    LeaseTable t = table();
    (void)t.acquire("lb1", kT0);
    CHECK(t.acquire("lb1", kT0 + 200ms).verdict == LeaseVerdict::Granted);  // renewed
    CHECK(t.acquire("lb2", kT0 + 499ms).verdict == LeaseVerdict::Refused);
    CHECK(t.remaining(kT0 + 499ms) == 1ms);
    const LeaseAnswer after = t.acquire("lb2", kT0 + 500ms);  // exactly at the edge
    CHECK(after.verdict == LeaseVerdict::Granted);
    CHECK(after.holder == "lb2");
    CHECK(t.acquire("lb1", kT0 + 500ms).verdict == LeaseVerdict::Refused);
}

TEST_CASE("release by the holder ends the lease at once, by another it changes nothing",
          "[unit][arbiter]") {
    LeaseTable t = table();
    (void)t.acquire("lb1", kT0);
    const LeaseAnswer wrong = t.release("lb2", kT0 + 10ms);
    CHECK(wrong.verdict == LeaseVerdict::Released);
    CHECK(wrong.holder == "lb1");
    CHECK(t.holder(kT0 + 10ms) == "lb1");
    const LeaseAnswer right = t.release("lb1", kT0 + 20ms);
    CHECK(right.holder.empty());
    CHECK_FALSE(t.holder(kT0 + 20ms));
    CHECK(t.acquire("lb2", kT0 + 20ms).verdict == LeaseVerdict::Granted);
}

TEST_CASE("after hold_off nobody is granted the lease for one lease", "[unit][arbiter]") {
    LeaseTable t = table();
    t.hold_off(kT0);
    const LeaseAnswer early = t.acquire("lb2", kT0 + 299ms);
    CHECK(early.verdict == LeaseVerdict::Refused);
    CHECK(early.holder.empty());
    CHECK(early.lease == 1ms);
    CHECK(t.acquire("lb2", kT0 + 300ms).verdict == LeaseVerdict::Granted);
}

TEST_CASE("a stranger is refused and takes nothing", "[unit][arbiter]") {
    LeaseTable t = table();
    CHECK(t.acquire("lb3", kT0).verdict == LeaseVerdict::Refused);
    CHECK_FALSE(t.holder(kT0));
    CHECK(t.acquire("lb1", kT0).verdict == LeaseVerdict::Granted);
}

TEST_CASE("the newest decision is the one with the highest epoch", "[unit][arbiter]") {
    LeaseTable t = table();
    CHECK_FALSE(t.newest());
    CHECK(t.offer({"site-a", false, 3}));
    CHECK_FALSE(t.offer({"site-b", false, 3}));  // same epoch: the first stays
    CHECK_FALSE(t.offer({"site-b", false, 2}));
    CHECK(t.offer({"site-b", true, 4}));
    REQUIRE(t.newest());
    CHECK(t.newest()->active_site == "site-b");
    CHECK(t.newest()->pinned);
}

}  // namespace
}  // namespace lb::arbiter
