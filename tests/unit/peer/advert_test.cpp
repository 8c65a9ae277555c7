// The advert codec: the documented layout byte by byte, round trips at the limits, and every way
// a datagram is dropped, each with its reason. The tag is checked with OpenSSL directly, so the
// test does not trust the code under test to compute it.
#include "lb/peer/advert.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace lb::peer {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kSecret = "pair secret";

const AdvertKey& test_key() {
    static const AdvertKey key(kSecret);
    return key;
}

Advert sample() {
    return {"lb1", 150, PeerRole::Master, {"site-a", false, 7}, 0x0102030405060708, 42, 200ms};
}

Bytes hmac(std::string_view key, const Bytes& bytes) {
    Bytes out(32);
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes.data(), bytes.size(),
         out.data(), &length);
    REQUIRE(length == 32);
    return out;
}

// The datagram with its tag recomputed over the (altered) bytes before it, so a check that
// comes after the tag is reached.
Bytes resigned(Bytes bytes) {
    const Bytes body(bytes.begin(), bytes.end() - 32);
    const Bytes tag = hmac(kSecret, body);
    std::copy(tag.begin(), tag.end(), bytes.end() - 32);
    return bytes;
}

Bytes with_byte(Bytes bytes, std::size_t at, std::uint8_t value) {
    bytes.at(at) = value;
    return bytes;
}

TEST_CASE("an advert is laid out as documented", "[unit][peer]") {
    const Bytes bytes = encode(sample(), test_key());
    // 70 + n ("lb1") + m ("site-a")
    REQUIRE(bytes.size() == 79);
    const Bytes header = {'L', 'B', 'P', 'A', 1,   3,   'l', 'b', '1', 150,
                          2,   6,   's', 'i', 't', 'e', '-', 'a', 0};
    CHECK(Bytes(bytes.begin(), bytes.begin() + 19) == header);
    CHECK(Bytes(bytes.begin() + 19, bytes.begin() + 27) == Bytes{0, 0, 0, 0, 0, 0, 0, 7});
    CHECK(Bytes(bytes.begin() + 27, bytes.begin() + 35) == Bytes{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(Bytes(bytes.begin() + 35, bytes.begin() + 43) == Bytes{0, 0, 0, 0, 0, 0, 0, 42});
    CHECK(Bytes(bytes.begin() + 43, bytes.begin() + 47) == Bytes{0, 0, 0, 200});
    CHECK(Bytes(bytes.begin() + 47, bytes.end()) ==
          hmac(kSecret, Bytes(bytes.begin(), bytes.begin() + 47)));

    Advert pinned = sample();
    pinned.policy.pinned = true;
    CHECK(encode(pinned, test_key()).at(18) == 0x01);
}

TEST_CASE("adverts round-trip through encode and decode", "[unit][peer]") {
    constexpr auto kMax64 = std::numeric_limits<std::uint64_t>::max();
    struct Row {
        const char* what;
        Advert advert;
        std::size_t size;
    };
    const std::vector<Row> rows = {
        {"the sample", sample(), 79},
        {"the smallest", {"a", 0, PeerRole::Init, {"b", false, 0}, 0, 0, 1ms}, kMinAdvertSize},
        {"the largest",
         {std::string(32, 'i'),
          255,
          PeerRole::Fault,
          {std::string(255, 's'), true, kMax64},
          kMax64,
          kMax64,
          Duration(std::numeric_limits<std::uint32_t>::max())},
         357},
        {"a backup", {"lb2", 100, PeerRole::Backup, {"site-b", true, 3}, 9, 1, 1s}, 79},
        {"priority 0 from a master",
         {"lb2", 0, PeerRole::Master, {"site-b", false, 3}, 9, 2, 1s},
         79},
        {"a master that reaches no site, pinned",
         {"lb2", 100, PeerRole::Master, {"site-b", true, 3}, 9, 3, 1s, false},
         79},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const Bytes bytes = encode(row.advert, test_key());
        CHECK(bytes.size() == row.size);
        const DecodeResult decoded = decode(bytes, test_key());
        REQUIRE(decoded.ok());
        CHECK(decoded.value() == row.advert);
        CHECK(encode(decoded.value(), test_key()) == bytes);
    }
}

TEST_CASE("the flags byte: bit 0 the pin, bit 1 no site reachable", "[unit][peer]") {
    Advert advert = sample();
    advert.policy.pinned = false;
    advert.reaches_site = false;
    const Bytes bytes = encode(advert, test_key());
    CHECK(bytes.at(18) == 0x02);
    advert.policy.pinned = true;
    CHECK(encode(advert, test_key()).at(18) == 0x03);
    advert.reaches_site = true;
    CHECK(encode(advert, test_key()).at(18) == 0x01);
}

TEST_CASE("a bad datagram is dropped with its reason", "[unit][peer]") {
    const Bytes good = encode(sample(), test_key());
    const Bytes smallest =
        encode({"a", 1, PeerRole::Backup, {"b", false, 0}, 0, 1, 1ms}, test_key());
    REQUIRE(smallest.size() == kMinAdvertSize);
    Bytes padded_to_513 = good;
    padded_to_513.resize(513);
    Bytes padded_to_512 = good;
    padded_to_512.resize(512);
    Bytes trailing = good;
    trailing.push_back(0);
    Bytes flipped_tag = good;
    flipped_tag.back() ^= 0x01;

    struct Row {
        const char* what;
        Bytes bytes;
        AdvertReject reason;
        std::string detail = "";
    };
    const std::vector<Row> rows = {
        {"empty", {}, AdvertReject::Short, "0 bytes, fewer than 72"},
        {"one byte under the smallest advert", Bytes(smallest.begin(), smallest.end() - 1),
         AdvertReject::Short, "71 bytes, fewer than 72"},
        {"truncated: one byte less than its lengths say", Bytes(good.begin(), good.end() - 1),
         AdvertReject::Short, "78 bytes, its lengths say 79"},
        {"truncated inside the tag", Bytes(good.begin(), good.end() - 7), AdvertReject::Short},
        {"513 bytes", padded_to_513, AdvertReject::Oversized, "513 bytes, more than 512"},
        {"a jumbo datagram", Bytes(9000, 0x4C), AdvertReject::Oversized},
        {"512 bytes: not oversized, but trailing bytes", padded_to_512, AdvertReject::Malformed,
         "512 bytes, its lengths say 79"},
        {"one trailing byte", trailing, AdvertReject::Malformed, "80 bytes, its lengths say 79"},
        {"bad magic", with_byte(good, 0, 'G'), AdvertReject::Malformed, "bad magic 0x47425041"},
        {"version 2", with_byte(good, 4, 2), AdvertReject::Malformed, "unsupported version 2"},
        {"id length 0", with_byte(good, 5, 0), AdvertReject::Malformed,
         "instance id length 0, not 1..32"},
        {"id length 33", with_byte(good, 5, 33), AdvertReject::Malformed,
         "instance id length 33, not 1..32"},
        {"site name length 0", with_byte(good, 11, 0), AdvertReject::Malformed,
         "empty active site name"},
        {"role 4, signed", resigned(with_byte(good, 10, 4)), AdvertReject::Malformed,
         "unknown role 4"},
        {"an unknown flag, signed", resigned(with_byte(good, 18, 0x05)), AdvertReject::Malformed,
         "unknown flags 0x05"},
        {"interval 0, signed", resigned(with_byte(with_byte(good, 45, 0), 46, 0)),
         AdvertReject::Malformed, "advert interval 0"},
        {"a flipped tag bit", flipped_tag, AdvertReject::BadSignature,
         "the tag does not match the key"},
        {"a changed priority, not signed", with_byte(good, 9, 255), AdvertReject::BadSignature},
        {"role 4, not signed: the tag is checked before the values", with_byte(good, 10, 4),
         AdvertReject::BadSignature},
        {"signed with another key", encode(sample(), AdvertKey("another secret")),
         AdvertReject::BadSignature},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const DecodeResult decoded = decode(row.bytes, test_key());
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().reason == row.reason);
        if (!row.detail.empty()) CHECK(decoded.error().detail == row.detail);
    }
}

TEST_CASE("reject reasons and roles are spelt as the metrics label them", "[unit][peer]") {
    CHECK(to_string(AdvertReject::Short) == "short");
    CHECK(to_string(AdvertReject::Oversized) == "oversized");
    CHECK(to_string(AdvertReject::Malformed) == "malformed");
    CHECK(to_string(AdvertReject::BadSignature) == "bad_signature");
    CHECK(to_string(AdvertReject::UnknownId) == "unknown_id");
    CHECK(to_string(AdvertReject::Replayed) == "replayed");
    CHECK(to_string(PeerRole::Init) == "init");
    CHECK(to_string(PeerRole::Backup) == "backup");
    CHECK(to_string(PeerRole::Master) == "master");
    CHECK(to_string(PeerRole::Fault) == "fault");
}

TEST_CASE("the advertised policy maps to and from a decision by site name", "[unit][peer]") {
    const policy::SiteNames names = {"site-a", "site-b"};
    CHECK(to_advert_policy({policy::kStandby, policy::kStandby, 9}, names) ==
          AdvertPolicy{"site-b", true, 9});
    CHECK(to_advert_policy({policy::kPrimary, std::nullopt, 0}, names) ==
          AdvertPolicy{"site-a", false, 0});
    CHECK(to_decision({"site-b", true, 9}, names) ==
          policy::Decision{policy::kStandby, policy::kStandby, 9});
    CHECK(to_decision({"site-a", false, 4}, names) ==
          policy::Decision{policy::kPrimary, std::nullopt, 4});
    CHECK_FALSE(to_decision({"site-c", false, 4}, names));
}

}  // namespace
}  // namespace lb::peer
