// The arbiter's protocol: an instance asks for (or renews, or gives back) the arbiter's lease, the
// arbiter grants or refuses it and hands out the newest policy decision it has seen. Two fixed,
// versioned big-endian layouts, authenticated like adverts (HMAC-SHA256 with the pair's key over
// every byte before the tag; the tag checked before any value is read), and fresh like adverts
// (sender id, boot id, sequence: ReplayGuard). Pure: no I/O.
//
// Request, version 1 (n: instance id length, m: active site name length):
//
//   offset   size  field
//   0        4     magic "LBLQ"
//   4        1     version: 1
//   5        1     n, 1..32
//   6        n     instance id
//   6+n      1     kind: 1 acquire (or renew), 2 release
//   7+n      1     m, 1..255
//   8+n      m     the sender's active site
//   8+n+m    1     flags: bit 0 pinned; the other bits are zero
//   9+n+m    8     policy epoch
//   17+n+m   8     boot id
//   25+n+m   8     sequence number
//   33+n+m   32    tag
//
// Reply, version 1 (n: the requester's id length, h: the holder's id length, m: the newest
// active site's length, 0 when the arbiter knows no decision yet):
//
//   0        4     magic "LBLR"
//   4        1     version: 1
//   5        1     n, 1..32
//   6        n     the requester's instance id
//   6+n      1     verdict: 1 granted, 2 refused, 3 released
//   7+n      1     h, 0..32
//   8+n      h     the lease's holder after this request ("" when nobody)
//   8+n+h    4     ms: granted, the lease's length; refused, the holder's time left
//   12+n+h   1     m, 0..255
//   13+n+h   m     newest active site
//   13+n+h+m 1     flags: bit 0 pinned
//   14+n+h+m 8     newest epoch
//   22+n+h+m 8     the arbiter's boot id
//   30+n+h+m 8     the arbiter's sequence number
//   38+n+h+m 8     the request's boot id (a reply binds to one process of the requester)
//   46+n+h+m 8     the request's sequence number (so the requester knows when it asked)
//   54+n+h+m 32    tag
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "config/duration.h"
#include "lb/peer/advert.h"
#include "lb/peer/advert_auth.h"

namespace lb::peer {

inline constexpr std::uint8_t kLeaseVersion = 1;
inline constexpr std::size_t kMaxLeaseDatagram = 512;
// The id the arbiter's replies are guarded under (ReplayGuard) on the instances.
inline constexpr std::string_view kArbiterId = "arbiter";

enum class LeaseKind : std::uint8_t { Acquire = 1, Release = 2 };
enum class LeaseVerdict : std::uint8_t { Granted = 1, Refused = 2, Released = 3 };

[[nodiscard]] std::string_view to_string(LeaseVerdict verdict);  // "granted" | ...

struct LeaseRequest {
    std::string instance_id;
    LeaseKind kind = LeaseKind::Acquire;
    AdvertPolicy policy;  // the sender's decision: the arbiter keeps the newest
    std::uint64_t boot_id = 0;
    std::uint64_t sequence = 0;

    friend bool operator==(const LeaseRequest&, const LeaseRequest&) = default;
};

struct LeaseReply {
    std::string instance_id;  // the requester
    LeaseVerdict verdict = LeaseVerdict::Refused;
    std::string holder;  // "" when nobody holds it
    Duration lease{0};   // granted: its length; refused: the holder's time left
    std::optional<AdvertPolicy> newest;
    std::uint64_t boot_id = 0;  // the arbiter's
    std::uint64_t sequence = 0;
    std::uint64_t request_boot_id = 0;
    std::uint64_t request_sequence = 0;

    friend bool operator==(const LeaseReply&, const LeaseReply&) = default;
};

template <class T>
class [[nodiscard]] Decoded {
public:
    Decoded(T value) : state_(std::move(value)) {}
    Decoded(AdvertError error) : state_(std::move(error)) {}
    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
    [[nodiscard]] const T& value() const { return std::get<T>(state_); }
    [[nodiscard]] const AdvertError& error() const { return std::get<AdvertError>(state_); }

private:
    std::variant<T, AdvertError> state_;
};

// Every field within the layout's limits (a caller's bug otherwise: checked, aborts).
[[nodiscard]] std::vector<std::uint8_t> encode(const LeaseRequest& request, const AdvertKey& key);
[[nodiscard]] std::vector<std::uint8_t> encode(const LeaseReply& reply, const AdvertKey& key);
// Sizes and lengths, then the tag, then the values; the reject reasons are the adverts'.
[[nodiscard]] Decoded<LeaseRequest> decode_lease_request(std::span<const std::uint8_t> datagram,
                                                         const AdvertKey& key);
[[nodiscard]] Decoded<LeaseReply> decode_lease_reply(std::span<const std::uint8_t> datagram,
                                                     const AdvertKey& key);

}  // namespace lb::peer
