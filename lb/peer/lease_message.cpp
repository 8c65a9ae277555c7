// The lease codec. As for adverts, decoding first walks the length fields alone (each read only
// once the bytes before it are known to exist), checks the tag over everything before it, and
// only then reads and range-checks the values.
#include "lb/peer/lease_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "lb/base/assert.h"
#include "lb/peer/wire.h"

namespace lb::peer {
namespace {

constexpr std::array<std::uint8_t, 4> kRequestMagic = {'L', 'B', 'L', 'Q'};
constexpr std::array<std::uint8_t, 4> kReplyMagic = {'L', 'B', 'L', 'R'};
constexpr std::uint8_t kPinnedFlag = 0x01;
// Bytes besides the variable fields and the tag.
constexpr std::size_t kRequestFixed = 33;
constexpr std::size_t kReplyFixed = 54;

AdvertError reject(AdvertReject reason, std::string detail) { return {reason, std::move(detail)}; }

// The lengths found so far, and where the next length byte is: pass 1 of decoding.
class LengthWalk {
public:
    explicit LengthWalk(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    // The length byte at `offset`, or nullopt when the datagram ends before it.
    [[nodiscard]] std::optional<std::size_t> at(std::size_t offset) const {
        if (offset >= bytes_.size()) return std::nullopt;
        return bytes_[offset];
    }

private:
    std::span<const std::uint8_t> bytes_;
};

std::optional<AdvertError> check_header(std::span<const std::uint8_t> datagram,
                                        const std::array<std::uint8_t, 4>& magic) {
    if (datagram.size() > kMaxLeaseDatagram)
        return reject(AdvertReject::Oversized,
                      fmt::format("{} bytes, more than {}", datagram.size(), kMaxLeaseDatagram));
    if (datagram.size() < 6)
        return reject(AdvertReject::Short, fmt::format("{} bytes", datagram.size()));
    if (!std::equal(magic.begin(), magic.end(), datagram.begin()))
        return reject(AdvertReject::Malformed,
                      fmt::format("bad magic 0x{:02x}{:02x}{:02x}{:02x}", datagram[0], datagram[1],
                                  datagram[2], datagram[3]));
    if (datagram[4] != kLeaseVersion)
        return reject(AdvertReject::Malformed, fmt::format("unsupported version {}", datagram[4]));
    const std::size_t n = datagram[5];
    if (n == 0 || n > kMaxInstanceIdLength)
        return reject(AdvertReject::Malformed,
                      fmt::format("instance id length {}, not 1..{}", n, kMaxInstanceIdLength));
    return std::nullopt;
}

// The whole size against what the lengths say, then the tag.
std::optional<AdvertError> check_size_and_tag(std::span<const std::uint8_t> datagram,
                                              std::size_t expected, const AdvertKey& key) {
    if (datagram.size() != expected)
        return reject(datagram.size() < expected ? AdvertReject::Short : AdvertReject::Malformed,
                      fmt::format("{} bytes, its lengths say {}", datagram.size(), expected));
    const std::size_t signed_length = expected - kAdvertTagSize;
    if (!key.verify(datagram.first(signed_length), datagram.subspan(signed_length)))
        return reject(AdvertReject::BadSignature, "the tag does not match the key");
    return std::nullopt;
}

void append_tag(std::vector<std::uint8_t>& out, const AdvertKey& key) {
    const AdvertTag tag = key.sign(out);
    out.insert(out.end(), tag.begin(), tag.end());
}

}  // namespace

std::string_view to_string(LeaseVerdict verdict) {
    switch (verdict) {
        case LeaseVerdict::Granted:
            return "granted";
        case LeaseVerdict::Refused:
            return "refused";
        case LeaseVerdict::Released:
            return "released";
    }
    return "refused";
}

std::vector<std::uint8_t> encode(const LeaseRequest& request, const AdvertKey& key) {
    LB_CHECK(!request.instance_id.empty() && request.instance_id.size() <= kMaxInstanceIdLength);
    LB_CHECK(!request.policy.active_site.empty() &&
             request.policy.active_site.size() <= kMaxSiteNameLength);
    std::vector<std::uint8_t> out;
    wire::Writer w(out);
    for (std::uint8_t b : kRequestMagic) w.u8(b);
    w.u8(kLeaseVersion);
    w.text(request.instance_id);
    w.u8(static_cast<std::uint8_t>(request.kind));
    w.text(request.policy.active_site);
    w.u8(request.policy.pinned ? kPinnedFlag : 0);
    w.u64(request.policy.epoch);
    w.u64(request.boot_id);
    w.u64(request.sequence);
    append_tag(out, key);
    return out;
}

std::vector<std::uint8_t> encode(const LeaseReply& reply, const AdvertKey& key) {
    LB_CHECK(!reply.instance_id.empty() && reply.instance_id.size() <= kMaxInstanceIdLength);
    LB_CHECK(reply.holder.size() <= kMaxInstanceIdLength);
    LB_CHECK(!reply.newest || (!reply.newest->active_site.empty() &&
                               reply.newest->active_site.size() <= kMaxSiteNameLength));
    LB_CHECK(reply.lease.count() >= 0 &&
             reply.lease.count() <= std::numeric_limits<std::uint32_t>::max());
    std::vector<std::uint8_t> out;
    wire::Writer w(out);
    for (std::uint8_t b : kReplyMagic) w.u8(b);
    w.u8(kLeaseVersion);
    w.text(reply.instance_id);
    w.u8(static_cast<std::uint8_t>(reply.verdict));
    w.text(reply.holder);
    w.u32(static_cast<std::uint32_t>(reply.lease.count()));
    w.text(reply.newest ? reply.newest->active_site : std::string());
    w.u8(reply.newest && reply.newest->pinned ? kPinnedFlag : 0);
    w.u64(reply.newest ? reply.newest->epoch : 0);
    w.u64(reply.boot_id);
    w.u64(reply.sequence);
    w.u64(reply.request_boot_id);
    w.u64(reply.request_sequence);
    append_tag(out, key);
    return out;
}

Decoded<LeaseRequest> decode_lease_request(std::span<const std::uint8_t> datagram,
                                           const AdvertKey& key) {
    if (auto bad = check_header(datagram, kRequestMagic)) return *bad;
    const LengthWalk walk(datagram);
    const std::size_t n = datagram[5];
    const auto m = walk.at(7 + n);
    if (!m) return reject(AdvertReject::Short, fmt::format("{} bytes", datagram.size()));
    if (*m == 0) return reject(AdvertReject::Malformed, "empty active site name");
    if (auto bad = check_size_and_tag(datagram, kRequestFixed + n + *m + kAdvertTagSize, key))
        return *bad;

    wire::Reader r(datagram, 5);
    LeaseRequest request;
    request.instance_id = r.text();
    const std::uint8_t kind = r.u8();
    if (kind != static_cast<std::uint8_t>(LeaseKind::Acquire) &&
        kind != static_cast<std::uint8_t>(LeaseKind::Release))
        return reject(AdvertReject::Malformed, fmt::format("unknown request kind {}", kind));
    request.kind = static_cast<LeaseKind>(kind);
    request.policy.active_site = r.text();
    const std::uint8_t flags = r.u8();
    if ((flags & ~kPinnedFlag) != 0)
        return reject(AdvertReject::Malformed, fmt::format("unknown flags 0x{:02x}", flags));
    request.policy.pinned = flags != 0;
    request.policy.epoch = r.u64();
    request.boot_id = r.u64();
    request.sequence = r.u64();
    return request;
}

Decoded<LeaseReply> decode_lease_reply(std::span<const std::uint8_t> datagram,
                                       const AdvertKey& key) {
    if (auto bad = check_header(datagram, kReplyMagic)) return *bad;
    const LengthWalk walk(datagram);
    const std::size_t n = datagram[5];
    const auto h = walk.at(7 + n);
    if (!h) return reject(AdvertReject::Short, fmt::format("{} bytes", datagram.size()));
    if (*h > kMaxInstanceIdLength)
        return reject(AdvertReject::Malformed,
                      fmt::format("holder id length {}, not 0..{}", *h, kMaxInstanceIdLength));
    const auto m = walk.at(12 + n + *h);
    if (!m) return reject(AdvertReject::Short, fmt::format("{} bytes", datagram.size()));
    if (auto bad =
            check_size_and_tag(datagram, kReplyFixed + n + *h + *m + kAdvertTagSize, key))
        return *bad;

    wire::Reader r(datagram, 5);
    LeaseReply reply;
    reply.instance_id = r.text();
    const std::uint8_t verdict = r.u8();
    if (verdict < static_cast<std::uint8_t>(LeaseVerdict::Granted) ||
        verdict > static_cast<std::uint8_t>(LeaseVerdict::Released))
        return reject(AdvertReject::Malformed, fmt::format("unknown verdict {}", verdict));
    reply.verdict = static_cast<LeaseVerdict>(verdict);
    reply.holder = r.text();
    reply.lease = Duration(r.u32());
    AdvertPolicy newest;
    newest.active_site = r.text();
    const std::uint8_t flags = r.u8();
    if ((flags & ~kPinnedFlag) != 0)
        return reject(AdvertReject::Malformed, fmt::format("unknown flags 0x{:02x}", flags));
    newest.pinned = flags != 0;
    newest.epoch = r.u64();
    if (!newest.active_site.empty())
        reply.newest = newest;
    else if (newest.pinned || newest.epoch != 0)
        return reject(AdvertReject::Malformed, "a pin or an epoch without an active site");
    reply.boot_id = r.u64();
    reply.sequence = r.u64();
    reply.request_boot_id = r.u64();
    reply.request_sequence = r.u64();
    return reply;
}

}  // namespace lb::peer
