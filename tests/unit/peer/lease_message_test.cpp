// The arbiter's lease messages: round trips at the limits, the layout's lengths, and every way a
// datagram is dropped, with its reason.
#include "lb/peer/lease_message.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

namespace lb::peer {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

const AdvertKey& key() {
    static const AdvertKey k("pair secret");
    return k;
}

LeaseRequest sample_request() {
    return {"lb1", LeaseKind::Acquire, {"site-a", false, 7}, 0x0102030405060708, 42};
}

LeaseReply sample_reply() {
    return {"lb1", LeaseVerdict::Granted, "lb1", 300ms, AdvertPolicy{"site-b", true, 9},
            0xa1, 5, 0x0102030405060708, 42};
}

TEST_CASE("lease requests round-trip, and their size is what the layout says", "[unit][peer]") {
    constexpr auto kMax64 = std::numeric_limits<std::uint64_t>::max();
    const std::vector<LeaseRequest> rows = {
        sample_request(),
        {"a", LeaseKind::Release, {"b", true, 0}, 0, 0},
        {std::string(32, 'i'), LeaseKind::Acquire, {std::string(255, 's'), false, kMax64}, kMax64,
         kMax64},
    };
    for (const LeaseRequest& request : rows) {
        const Bytes bytes = encode(request, key());
        CHECK(bytes.size() ==
              65 + request.instance_id.size() + request.policy.active_site.size());
        const auto decoded = decode_lease_request(bytes, key());
        REQUIRE(decoded.ok());
        CHECK(decoded.value() == request);
    }
}

TEST_CASE("lease replies round-trip, with and without a holder and a known decision",
          "[unit][peer]") {
    LeaseReply none = sample_reply();
    none.verdict = LeaseVerdict::Released;
    none.holder.clear();
    none.lease = 0ms;
    none.newest.reset();
    LeaseReply refused = sample_reply();
    refused.instance_id = "lb2";
    refused.verdict = LeaseVerdict::Refused;
    refused.lease = 123ms;
    for (const LeaseReply& reply : {sample_reply(), none, refused}) {
        const Bytes bytes = encode(reply, key());
        const std::size_t site = reply.newest ? reply.newest->active_site.size() : 0;
        CHECK(bytes.size() == 86 + reply.instance_id.size() + reply.holder.size() + site);
        const auto decoded = decode_lease_reply(bytes, key());
        REQUIRE(decoded.ok());
        CHECK(decoded.value() == reply);
    }
}

TEST_CASE("a bad lease datagram is dropped with its reason", "[unit][peer]") {
    const Bytes request = encode(sample_request(), key());
    const Bytes reply = encode(sample_reply(), key());
    const auto with_byte = [](Bytes bytes, std::size_t at, std::uint8_t value) {
        bytes.at(at) = value;
        return bytes;
    };
    const auto resigned = [](Bytes bytes) {
        bytes.resize(bytes.size() - kAdvertTagSize);
        const AdvertTag tag = key().sign(bytes);
        bytes.insert(bytes.end(), tag.begin(), tag.end());
        return bytes;
    };
    struct Row {
        const char* what;
        Bytes bytes;
        bool is_reply;
        AdvertReject reason;
    };
    const std::vector<Row> rows = {
        {"empty request", {}, false, AdvertReject::Short},
        {"empty reply", {}, true, AdvertReject::Short},
        {"a request cut before its site length", Bytes(request.begin(), request.begin() + 9),
         false, AdvertReject::Short},
        {"a reply cut before its holder length", Bytes(reply.begin(), reply.begin() + 9), true,
         AdvertReject::Short},
        {"a request one byte short", Bytes(request.begin(), request.end() - 1), false,
         AdvertReject::Short},
        {"a reply with a trailing byte", [&] { Bytes b = reply; b.push_back(0); return b; }(),
         true, AdvertReject::Malformed},
        {"513 bytes", Bytes(513, 'L'), false, AdvertReject::Oversized},
        {"a reply decoded as a request", reply, false, AdvertReject::Malformed},
        {"a request decoded as a reply", request, true, AdvertReject::Malformed},
        {"version 2", with_byte(request, 4, 2), false, AdvertReject::Malformed},
        {"id length 0", with_byte(request, 5, 0), false, AdvertReject::Malformed},
        {"holder length 33", with_byte(reply, 10, 33), true, AdvertReject::Malformed},
        {"another key", encode(sample_request(), AdvertKey("other")), false,
         AdvertReject::BadSignature},
        {"a changed epoch, not signed", with_byte(request, 20, 0xff), false,
         AdvertReject::BadSignature},
        {"kind 3, signed", resigned(with_byte(request, 9, 3)), false, AdvertReject::Malformed},
        {"verdict 4, signed", resigned(with_byte(reply, 9, 4)), true, AdvertReject::Malformed},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        if (row.is_reply) {
            const auto decoded = decode_lease_reply(row.bytes, key());
            REQUIRE_FALSE(decoded.ok());
            CHECK(decoded.error().reason == row.reason);
        } else {
            const auto decoded = decode_lease_request(row.bytes, key());
            REQUIRE_FALSE(decoded.ok());
            CHECK(decoded.error().reason == row.reason);
        }
    }
}

}  // namespace
}  // namespace lb::peer
