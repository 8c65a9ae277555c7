// Fuzz target: the peer link's advert decoder (lb/peer/advert.h) with a fixed key, any bytes as a
// datagram. Random bytes almost never carry a valid HMAC, so each input is decoded twice: as it
// is, and with its last 32 bytes replaced by the right tag ("re-signed"), which lets the fuzzer
// reach the checks made after the tag. Beyond not crashing: an advert that decodes re-encodes to
// exactly the bytes received (encode(decode(x)) == x, the codec's invariant, so no two datagrams
// mean the same advert), every field within the layout's limits; a rejection has a reason and
// detail; and the datagram as received is accepted only if it was already correctly signed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "lb/peer/advert.h"
#include "lb/peer/advert_auth.h"

namespace {

using namespace lb::peer;

const AdvertKey& key() {
    static const AdvertKey k("pair secret");
    return k;
}

void check(std::span<const std::uint8_t> datagram) {
    const DecodeResult result = decode(datagram, key());
    if (!result.ok()) {
        if (result.error().detail.empty() || to_string(result.error().reason).empty()) std::abort();
        return;
    }
    const Advert& advert = result.value();
    if (advert.instance_id.empty() || advert.instance_id.size() > kMaxInstanceIdLength ||
        advert.policy.active_site.empty() ||
        advert.policy.active_site.size() > kMaxSiteNameLength || advert.priority < 0 ||
        advert.priority > 255 || advert.advert_interval.count() < 1)
        std::abort();
    const std::vector<std::uint8_t> again = encode(advert, key());
    if (!std::equal(again.begin(), again.end(), datagram.begin(), datagram.end())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> datagram(data, size);
    check(datagram);
    if (size < kAdvertTagSize) return 0;
    std::vector<std::uint8_t> resigned(data, data + size);
    const std::size_t body = size - kAdvertTagSize;
    const AdvertTag tag = key().sign(std::span(resigned).first(body));
    std::copy(tag.begin(), tag.end(), resigned.begin() + static_cast<std::ptrdiff_t>(body));
    const bool was_signed = std::equal(tag.begin(), tag.end(), data + body);
    const DecodeResult raw = decode(datagram, key());
    if (raw.ok() && !was_signed) std::abort();
    check(resigned);
    return 0;
}
