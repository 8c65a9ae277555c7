// ReplayGuard: only configured ids, only newer sequences, a restarted peer admitted at once, and
// the adverts of a boot id it left behind never again (within the remembered boots).
#include "lb/peer/replay_guard.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace lb::peer {
namespace {

using namespace std::chrono_literals;

Advert advert(std::string id, std::uint64_t boot, std::uint64_t sequence) {
    return {std::move(id), 100, PeerRole::Master, {"site-a", false, 0}, boot, sequence, 200ms};
}

void check_admitted(ReplayGuard& guard, const Advert& a, bool new_boot) {
    INFO(a.instance_id << " boot " << a.boot_id << " sequence " << a.sequence);
    const Admission admission = guard.admit(a);
    REQUIRE(admission.admitted());
    CHECK(admission.new_boot == new_boot);
}

void check_rejected(ReplayGuard& guard, const Advert& a, AdvertReject reason,
                    std::string detail = "") {
    INFO(a.instance_id << " boot " << a.boot_id << " sequence " << a.sequence);
    const Admission admission = guard.admit(a);
    REQUIRE_FALSE(admission.admitted());
    CHECK(admission.rejected->reason == reason);
    CHECK_FALSE(admission.new_boot);
    if (!detail.empty()) CHECK(admission.rejected->detail == detail);
}

TEST_CASE("an advert from an id that is not configured is refused", "[unit][peer]") {
    ReplayGuard guard({"lb2"});
    check_rejected(guard, advert("lb9", 1, 1), AdvertReject::UnknownId,
                   "instance id \"lb9\" is not a configured peer");
    // This instance's own adverts, reflected back, are not a peer's either.
    check_rejected(guard, advert("lb1", 1, 1), AdvertReject::UnknownId);
    check_rejected(guard, advert("LB2", 1, 1), AdvertReject::UnknownId);
    check_admitted(guard, advert("lb2", 1, 1), true);
}

TEST_CASE("within one boot only a higher sequence is admitted", "[unit][peer]") {
    ReplayGuard guard({"lb2"});
    check_admitted(guard, advert("lb2", 0xaa, 5), true);
    check_admitted(guard, advert("lb2", 0xaa, 6), false);
    check_admitted(guard, advert("lb2", 0xaa, 9), false);  // gaps are lost datagrams: fine
    check_rejected(guard, advert("lb2", 0xaa, 9), AdvertReject::Replayed,
                   "lb2: sequence 9 of boot 00000000000000aa, not above 9");
    check_rejected(guard, advert("lb2", 0xaa, 6), AdvertReject::Replayed);
    check_rejected(guard, advert("lb2", 0xaa, 0), AdvertReject::Replayed);
    // A rejection changes nothing: the next real advert is admitted.
    check_admitted(guard, advert("lb2", 0xaa, 10), false);
}

TEST_CASE("a restarted peer is admitted, its old boot never again, whatever the sequence",
          "[unit][peer]") {
    ReplayGuard guard({"lb2"});
    check_admitted(guard, advert("lb2", 0xaa, 500), true);
    // The peer restarts: a new boot id, its sequence from 1 again.
    check_admitted(guard, advert("lb2", 0xbb, 1), true);
    check_admitted(guard, advert("lb2", 0xbb, 2), false);
    // A recording of the old boot, even one never heard here (sequence above 500).
    check_rejected(guard, advert("lb2", 0xaa, 501), AdvertReject::Replayed,
                   "lb2: boot 00000000000000aa was superseded by 00000000000000bb");
    check_rejected(guard, advert("lb2", 0xaa, 1'000'000), AdvertReject::Replayed);
    // Another restart: both earlier boots stay dead.
    check_admitted(guard, advert("lb2", 0xcc, 1), true);
    check_rejected(guard, advert("lb2", 0xbb, 3), AdvertReject::Replayed);
    check_rejected(guard, advert("lb2", 0xaa, 502), AdvertReject::Replayed);
    check_admitted(guard, advert("lb2", 0xcc, 2), false);
}

TEST_CASE("the last kRememberedBoots superseded boots are remembered", "[unit][peer]") {
    ReplayGuard guard({"lb2"});
    const std::uint64_t kBoots = ReplayGuard::kRememberedBoots;
    // Boot ids 1 .. kBoots + 1: after the last, boots 1 .. kBoots are superseded.
    for (std::uint64_t boot = 1; boot <= kBoots + 1; ++boot)
        check_admitted(guard, advert("lb2", boot, 1), true);
    for (std::uint64_t boot = 1; boot <= kBoots; ++boot)
        check_rejected(guard, advert("lb2", boot, 2), AdvertReject::Replayed);
    // One more restart pushes boot 1 out of the memory: it would be taken for a new boot (the
    // documented limit), while boot 2 is still refused.
    check_admitted(guard, advert("lb2", kBoots + 2, 1), true);
    check_rejected(guard, advert("lb2", 2, 2), AdvertReject::Replayed);
    check_admitted(guard, advert("lb2", 1, 2), true);
}

TEST_CASE("each peer has its own history", "[unit][peer]") {
    ReplayGuard guard({"lb2", "lb3"});
    check_admitted(guard, advert("lb2", 0xaa, 7), true);
    check_admitted(guard, advert("lb3", 0xaa, 1), true);  // same boot id, another peer
    check_admitted(guard, advert("lb3", 0xaa, 2), false);
    check_rejected(guard, advert("lb2", 0xaa, 7), AdvertReject::Replayed);
    check_admitted(guard, advert("lb2", 0xaa, 8), false);
}

}  // namespace
}  // namespace lb::peer
