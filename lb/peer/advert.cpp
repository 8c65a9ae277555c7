// The advert codec. decode() works in two passes: the length fields alone locate the tag, the
// tag is checked, and only then are the values read and range-checked.
#include "lb/peer/advert.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "lb/base/assert.h"
#include "lb/peer/wire.h"

namespace lb::peer {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {0x4C, 0x42, 0x50, 0x41};  // "LBPA"
constexpr std::uint8_t kPinnedFlag = 0x01;
constexpr std::uint8_t kNoSiteFlag = 0x02;
constexpr std::size_t kIdLengthOffset = 5;
// Bytes besides the id, the site name and the tag: 70 - 32.
constexpr std::size_t kFixedFields = 38;

using wire::Reader;
using wire::Writer;

AdvertError reject(AdvertReject reason, std::string detail) { return {reason, std::move(detail)}; }

}  // namespace

std::string_view to_string(PeerRole role) {
    switch (role) {
        case PeerRole::Init:
            return "init";
        case PeerRole::Backup:
            return "backup";
        case PeerRole::Master:
            return "master";
        case PeerRole::Fault:
            return "fault";
    }
    return "init";
}

std::string_view to_string(AdvertReject reason) {
    switch (reason) {
        case AdvertReject::Short:
            return "short";
        case AdvertReject::Oversized:
            return "oversized";
        case AdvertReject::Malformed:
            return "malformed";
        case AdvertReject::BadSignature:
            return "bad_signature";
        case AdvertReject::UnknownId:
            return "unknown_id";
        case AdvertReject::Replayed:
            return "replayed";
    }
    return "malformed";
}

std::vector<std::uint8_t> encode(const Advert& advert, const AdvertKey& key) {
    const std::string& id = advert.instance_id;
    const std::string& site = advert.policy.active_site;
    LB_CHECK(!id.empty() && id.size() <= kMaxInstanceIdLength);
    LB_CHECK(!site.empty() && site.size() <= kMaxSiteNameLength);
    LB_CHECK(advert.priority >= 0 && advert.priority <= 255);
    LB_CHECK(advert.advert_interval.count() >= 1 &&
             advert.advert_interval.count() <= std::numeric_limits<std::uint32_t>::max());

    std::vector<std::uint8_t> out;
    out.reserve(kFixedFields + id.size() + site.size() + kAdvertTagSize);
    Writer w(out);
    for (std::uint8_t b : kMagic) w.u8(b);
    w.u8(kAdvertVersion);
    w.text(id);
    w.u8(static_cast<std::uint8_t>(advert.priority));
    w.u8(static_cast<std::uint8_t>(advert.role));
    w.text(site);
    w.u8(static_cast<std::uint8_t>((advert.policy.pinned ? kPinnedFlag : 0) |
                                   (advert.reaches_site ? 0 : kNoSiteFlag)));
    w.u64(advert.policy.epoch);
    w.u64(advert.boot_id);
    w.u64(advert.sequence);
    w.u32(static_cast<std::uint32_t>(advert.advert_interval.count()));
    const AdvertTag tag = key.sign(out);
    out.insert(out.end(), tag.begin(), tag.end());
    return out;
}

DecodeResult decode(std::span<const std::uint8_t> datagram, const AdvertKey& key) {
    const std::size_t size = datagram.size();
    // Pass 1: sizes, magic, version and the two lengths, which locate the tag.
    if (size > kMaxAdvertDatagram)
        return reject(AdvertReject::Oversized,
                      fmt::format("{} bytes, more than {}", size, kMaxAdvertDatagram));
    if (size < kMinAdvertSize)
        return reject(AdvertReject::Short,
                      fmt::format("{} bytes, fewer than {}", size, kMinAdvertSize));
    if (!std::equal(kMagic.begin(), kMagic.end(), datagram.begin()))
        return reject(AdvertReject::Malformed,
                      fmt::format("bad magic 0x{:02x}{:02x}{:02x}{:02x}", datagram[0], datagram[1],
                                  datagram[2], datagram[3]));
    if (datagram[4] != kAdvertVersion)
        return reject(AdvertReject::Malformed, fmt::format("unsupported version {}", datagram[4]));
    const std::size_t id_length = datagram[kIdLengthOffset];
    if (id_length == 0 || id_length > kMaxInstanceIdLength)
        return reject(AdvertReject::Malformed, fmt::format("instance id length {}, not 1..{}",
                                                           id_length, kMaxInstanceIdLength));
    // Within the 72-byte minimum whatever the id length (8 + 32 < 72).
    const std::size_t site_length = datagram[8 + id_length];
    if (site_length == 0) return reject(AdvertReject::Malformed, "empty active site name");
    const std::size_t expected = kFixedFields + id_length + site_length + kAdvertTagSize;
    if (size != expected)  // short of what the lengths say, or trailing bytes
        return reject(size < expected ? AdvertReject::Short : AdvertReject::Malformed,
                      fmt::format("{} bytes, its lengths say {}", size, expected));

    // The tag, before any value is believed.
    const std::size_t signed_length = expected - kAdvertTagSize;
    if (!key.verify(datagram.first(signed_length), datagram.subspan(signed_length)))
        return reject(AdvertReject::BadSignature, "the tag does not match the key");

    // Pass 2: the values, from an authentic sender.
    Reader r(datagram, kIdLengthOffset);
    Advert advert;
    advert.instance_id = r.text();
    advert.priority = r.u8();
    const std::uint8_t role = r.u8();
    if (role > static_cast<std::uint8_t>(PeerRole::Fault))
        return reject(AdvertReject::Malformed, fmt::format("unknown role {}", role));
    advert.role = static_cast<PeerRole>(role);
    advert.policy.active_site = r.text();
    const std::uint8_t flags = r.u8();
    if ((flags & ~(kPinnedFlag | kNoSiteFlag)) != 0)
        return reject(AdvertReject::Malformed, fmt::format("unknown flags 0x{:02x}", flags));
    advert.policy.pinned = (flags & kPinnedFlag) != 0;
    advert.reaches_site = (flags & kNoSiteFlag) == 0;
    advert.policy.epoch = r.u64();
    advert.boot_id = r.u64();
    advert.sequence = r.u64();
    advert.advert_interval = Duration(r.u32());
    if (advert.advert_interval.count() == 0)
        return reject(AdvertReject::Malformed, "advert interval 0");
    return advert;
}

AdvertPolicy to_advert_policy(const policy::Decision& decision, const policy::SiteNames& names) {
    return {names.at(decision.active), decision.pinned.has_value(), decision.epoch};
}

std::optional<policy::Decision> to_decision(const AdvertPolicy& advertised,
                                            const policy::SiteNames& names) {
    const auto it = std::find(names.begin(), names.end(), advertised.active_site);
    if (it == names.end()) return std::nullopt;
    const auto active = static_cast<policy::SiteIndex>(it - names.begin());
    return policy::Decision{active, advertised.pinned ? std::optional(active) : std::nullopt,
                            advertised.epoch};
}

}  // namespace lb::peer
