// One advert of the peer link: what an instance says about itself every advert interval, and the
// policy decision it holds. A fixed, versioned big-endian layout, authenticated by HMAC-SHA256
// over every byte before the tag. Invariant: decode() trusts no field it has not authenticated,
// and encode(decode(x)) == x for every advert decode accepts. Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/duration.h"
#include "lb/peer/advert_auth.h"
#include "lb/policy/decision.h"

namespace lb::peer {

// Layout, version 1. Integers are big-endian; n is the instance id's length, m the active site
// name's length.
//
//   offset   size  field
//   0        4     magic "LBPA" (0x4C 0x42 0x50 0x41)
//   4        1     version: 1
//   5        1     n: instance id length, 1..32
//   6        n     instance id ([peer] id)
//   6+n      1     priority, 0..255; 0: the sender gives mastership up, take over now
//   7+n      1     role: 0 init, 1 backup, 2 master, 3 fault
//   8+n      1     m: active site name length, 1..255
//   9+n      m     active site name
//   9+n+m    1     flags: bit 0 set = the active site is pinned; bit 1 set = the sender's
//                  checks reach neither site; the other bits are zero
//   10+n+m   8     policy epoch
//   18+n+m   8     boot id: random, drawn once per process start
//   26+n+m   8     sequence number: strictly increasing within one boot id
//   34+n+m   4     advert interval in ms, >= 1
//   38+n+m   32    HMAC-SHA256 tag, keyed by the pair's key file, over bytes 0 .. 37+n+m
//
// Total 70+n+m bytes: 72 at least, 357 at most. A datagram is never longer than 512 bytes.
inline constexpr std::uint8_t kAdvertVersion = 1;
inline constexpr std::size_t kMaxInstanceIdLength = 32;
inline constexpr std::size_t kMaxSiteNameLength = 255;
inline constexpr std::size_t kMinAdvertSize = 70 + 1 + 1;
inline constexpr std::size_t kMaxAdvertDatagram = 512;

// A peer's role, as advertised and as PeerMachine holds it. The notify hook gets the upper-case
// name of the last three (MASTER|BACKUP|FAULT).
enum class PeerRole : std::uint8_t { Init = 0, Backup = 1, Master = 2, Fault = 3 };

// "init" | "backup" | "master" | "fault": the lb_peer_role label.
[[nodiscard]] std::string_view to_string(PeerRole role);

// The policy decision as the pair shares it: by site name, since each instance maps names to its
// own site indices. A pin is always on the active site (decision.h), so one flag says it.
struct AdvertPolicy {
    std::string active_site;
    bool pinned = false;
    std::uint64_t epoch = 0;

    friend bool operator==(const AdvertPolicy&, const AdvertPolicy&) = default;
};

struct Advert {
    std::string instance_id;  // 1..kMaxInstanceIdLength bytes
    int priority = 0;         // 0..255
    PeerRole role = PeerRole::Init;
    AdvertPolicy policy;  // active_site: 1..kMaxSiteNameLength bytes
    std::uint64_t boot_id = 0;
    std::uint64_t sequence = 0;
    Duration advert_interval{0};  // 1 ms .. 2^32 - 1 ms
    // The sender's checks find at least one site up (or not yet checked). An instance that
    // reaches neither while its peer reaches one goes to FAULT (PeerMachine).
    bool reaches_site = true;

    friend bool operator==(const Advert&, const Advert&) = default;
};

// Why a received datagram was dropped. One enum for the codec and the replay guard, so it is the
// one `reason` label of lb_peer_adverts_total{direction="received",result="rejected"}.
enum class AdvertReject {
    Short,         // shorter than the smallest advert, or than its own length fields say
    Oversized,     // longer than kMaxAdvertDatagram
    Malformed,     // bad magic or version, a length or value out of range, trailing bytes
    BadSignature,  // the tag does not match: another key, or altered in transit
    UnknownId,     // authentic, but from an instance id this peer is not configured with
    Replayed,      // authentic and known, but not newer than what was already accepted
};

// "short" | "oversized" | "malformed" | "bad_signature" | "unknown_id" | "replayed".
[[nodiscard]] std::string_view to_string(AdvertReject reason);

struct AdvertError {
    AdvertReject reason = AdvertReject::Malformed;
    std::string detail;  // for a rate-limited log line: "bad magic 0x47455420"
};

// decode()'s answer: the advert, or why it was dropped.
class [[nodiscard]] DecodeResult {
public:
    DecodeResult(Advert advert) : state_(std::move(advert)) {}
    DecodeResult(AdvertError error) : state_(std::move(error)) {}

    [[nodiscard]] bool ok() const { return std::holds_alternative<Advert>(state_); }
    [[nodiscard]] const Advert& value() const { return std::get<Advert>(state_); }
    [[nodiscard]] Advert& value() { return std::get<Advert>(state_); }
    [[nodiscard]] const AdvertError& error() const { return std::get<AdvertError>(state_); }

private:
    std::variant<Advert, AdvertError> state_;
};

// The datagram for `advert`, tagged with `key`. Every field must be within the layout's limits
// above (a caller's bug otherwise: checked, aborts).
[[nodiscard]] std::vector<std::uint8_t> encode(const Advert& advert, const AdvertKey& key);

// Checks sizes and lengths first, then the tag (constant-time), and reads the values only once
// the tag matched. Says nothing about freshness: that is ReplayGuard's job.
[[nodiscard]] DecodeResult decode(std::span<const std::uint8_t> datagram, const AdvertKey& key);

// The local decision as advertised: site indices become names.
[[nodiscard]] AdvertPolicy to_advert_policy(const policy::Decision& decision,
                                            const policy::SiteNames& names);
// A peer's advertised decision in local site indices; nullopt when its active site is not one of
// `names` (the two instances disagree about the sites: nothing to adopt).
[[nodiscard]] std::optional<policy::Decision> to_decision(const AdvertPolicy& policy,
                                                          const policy::SiteNames& names);

}  // namespace lb::peer
