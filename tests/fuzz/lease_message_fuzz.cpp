// Fuzz target: the arbiter protocol's decoders (lb/peer/lease_message.h: lease requests and
// replies) with a fixed key, any bytes as a datagram. As for adverts, each input is decoded as
// it is and re-signed (its last 32 bytes replaced by the right HMAC tag) so the fuzzer reaches
// the checks after the tag. Beyond not crashing: a message that decodes re-encodes to exactly
// the bytes received, with its fields within the layout's limits; a datagram is never both a
// request and a reply; a rejection has a detail.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "lb/peer/advert_auth.h"
#include "lb/peer/lease_message.h"

namespace {

using namespace lb::peer;

const AdvertKey& key() {
    static const AdvertKey k("pair secret");
    return k;
}

bool same_bytes(const std::vector<std::uint8_t>& a, std::span<const std::uint8_t> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

bool valid_policy(const AdvertPolicy& policy, bool may_be_empty) {
    return (may_be_empty || !policy.active_site.empty()) &&
           policy.active_site.size() <= kMaxSiteNameLength;
}

void check(std::span<const std::uint8_t> datagram) {
    const auto request = decode_lease_request(datagram, key());
    const auto reply = decode_lease_reply(datagram, key());
    if (request.ok() && reply.ok()) std::abort();
    if (!request.ok() && request.error().detail.empty()) std::abort();
    if (!reply.ok() && reply.error().detail.empty()) std::abort();
    if (request.ok()) {
        const LeaseRequest& r = request.value();
        if (r.instance_id.empty() || r.instance_id.size() > kMaxInstanceIdLength ||
            !valid_policy(r.policy, false))
            std::abort();
        if (!same_bytes(encode(r, key()), datagram)) std::abort();
    }
    if (reply.ok()) {
        const LeaseReply& r = reply.value();
        if (r.instance_id.empty() || r.instance_id.size() > kMaxInstanceIdLength ||
            r.holder.size() > kMaxInstanceIdLength || (r.newest && !valid_policy(*r.newest, false)))
            std::abort();
        if (!same_bytes(encode(r, key()), datagram)) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check(std::span<const std::uint8_t>(data, size));
    if (size < kAdvertTagSize) return 0;
    std::vector<std::uint8_t> resigned(data, data + size);
    const std::size_t body = size - kAdvertTagSize;
    const AdvertTag tag = key().sign(std::span(resigned).first(body));
    std::copy(tag.begin(), tag.end(), resigned.begin() + static_cast<std::ptrdiff_t>(body));
    check(resigned);
    return 0;
}
