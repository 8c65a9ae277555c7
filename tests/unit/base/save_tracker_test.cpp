// SaveTracker: a state file that cannot be written is reported once per outage, not per attempt.
#include "lb/base/save_tracker.h"

#include <catch2/catch.hpp>

namespace lb {
namespace {

using Report = SaveTracker::Report;

TEST_CASE("saves that succeed say nothing and owe nothing", "[unit][base][state-file]") {
    SaveTracker tracker;
    CHECK_FALSE(tracker.pending());
    tracker.on_change();
    CHECK(tracker.pending());
    CHECK(tracker.on_saved(true) == Report::Nothing);
    CHECK_FALSE(tracker.pending());
    CHECK_FALSE(tracker.failing());
}

TEST_CASE("an outage is reported once when it starts and once when it ends",
          "[unit][base][state-file]") {
    SaveTracker tracker;
    tracker.on_change();
    CHECK(tracker.on_saved(false) == Report::Failing);
    CHECK(tracker.pending());
    CHECK(tracker.failing());
    // Retries and newer decisions during the outage stay quiet.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (attempt % 2 == 0) tracker.on_change();
        CHECK(tracker.on_saved(false) == Report::Nothing);
        CHECK(tracker.pending());
    }
    CHECK(tracker.on_saved(true) == Report::Recovered);
    CHECK_FALSE(tracker.pending());
    CHECK_FALSE(tracker.failing());
    // The next outage is a new one.
    tracker.on_change();
    CHECK(tracker.on_saved(true) == Report::Nothing);
    tracker.on_change();
    CHECK(tracker.on_saved(false) == Report::Failing);
}

}  // namespace
}  // namespace lb
