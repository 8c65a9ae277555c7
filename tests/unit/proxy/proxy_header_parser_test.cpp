// Reading PROXY headers: what the spec allows comes back with its addresses and exact size, a
// header cut anywhere asks for more (and says how much is the header's so far), and everything
// else is refused. A bounded fuzz loop (run under the sanitizers too) feeds it mutated headers
// and random bytes: no crash, and the verdict never claims bytes it was not given.
#include "lb/proxy/proxy_header_parser.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "config/proxy_header.h"

namespace lb {
namespace {

using Status = ProxyHeaderParse::Status;

std::vector<std::uint8_t> as_bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

ProxyHeaderParse parse(std::string_view text) { return parse_proxy_header(as_bytes(text)); }

SocketAddress at(std::string_view text) {
    auto address = SocketAddress::parse_endpoint(text);
    REQUIRE(address);
    return *address;
}

TEST_CASE("PROXY v1: TCP4, TCP6 and UNKNOWN lines, the client's bytes after it left alone",
          "[proxy]") {
    const auto tcp4 = parse("PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\nGET / HTTP/1.0");
    REQUIRE(tcp4.status == Status::Complete);
    CHECK(tcp4.header.size == 47);
    REQUIRE(tcp4.header.source);
    CHECK(tcp4.header.source->to_string() == "203.0.113.9:40000");
    CHECK(tcp4.header.destination->to_string() == "198.51.100.1:443");

    const auto tcp6 = parse("PROXY TCP6 2001:db8::9 2001:db8::1 1 65535\r\n");
    REQUIRE(tcp6.status == Status::Complete);
    CHECK(tcp6.header.source->to_string() == "[2001:db8::9]:1");
    CHECK(tcp6.header.destination->to_string() == "[2001:db8::1]:65535");

    const auto unknown = parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nxyz");
    REQUIRE(unknown.status == Status::Complete);
    CHECK(unknown.header.size == 35);
    CHECK_FALSE(unknown.header.source);
}

TEST_CASE("PROXY v1: a line cut anywhere asks for more, every byte so far being the header's",
          "[proxy]") {
    const std::string line = "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\n";
    for (std::size_t n = 0; n < line.size(); ++n) {
        INFO(n);
        const auto cut = parse(line.substr(0, n));
        CHECK(cut.status == Status::NeedMore);
        CHECK(cut.need == n);
    }
}

TEST_CASE("PROXY v1: anything off the spec is refused", "[proxy]") {
    for (const std::string_view bad : {
             "GET / HTTP/1.0\r\n",                                  // not a header at all
             "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\n",     // LF alone
             "PROXY TCP5 203.0.113.9 198.51.100.1 40000 443\r\n",   // protocol
             "PROXY TCP4 203.0.113.9  198.51.100.1 40000 443\r\n",  // two spaces
             "PROXY TCP4 203.0.113.9 198.51.100.1 40000\r\n",       // a field missing
             "PROXY TCP4 300.0.113.9 198.51.100.1 40000 443\r\n",   // address
             "PROXY TCP4 2001:db8::9 198.51.100.1 40000 443\r\n",   // family
             "PROXY TCP6 203.0.113.9 2001:db8::1 40000 443\r\n",    // family
             "PROXY TCP4 203.0.113.9 198.51.100.1 65536 443\r\n",   // port range
             "PROXY TCP4 203.0.113.9 198.51.100.1 +4000 443\r\n",   // sign
             "PROXY TCP4 203.0.113.9 198.51.100.1 04000 443\r\n",   // leading zero
             "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443 \r\n",  // trailing space
         }) {
        INFO(bad);
        CHECK(parse(bad).status == Status::Invalid);
    }
    // No CRLF within the spec's 107 bytes.
    CHECK(parse("PROXY UNKNOWN " + std::string(100, 'x')).status == Status::Invalid);
    // A NUL or a lone LF in an UNKNOWN line: refused whether the CRLF comes in the same read or
    // not (tests/fuzz/regressions/proxy_header/).
    for (const std::string& line : {std::string("PROXY UNKNOWN\r\0\0\0\0\r\n", 20),
                                   std::string("PROXY UNKNOWN\nx\r\n")}) {
        INFO(line);
        CHECK(parse(line).status == Status::Invalid);
        CHECK(parse(line.substr(0, line.size() - 1)).status == Status::Invalid);
    }
}

TEST_CASE("PROXY v2: what lb sends reads back, TLVs are skipped, LOCAL has no address",
          "[proxy]") {
    for (const auto& [client, local] :
         {std::pair{at("192.0.2.7:51234"), at("10.0.0.100:443")},
          std::pair{at("[2001:db8::7]:1"), at("[2001:db8::100]:443")}}) {
        std::string header = proxy_header(config::ProxyProtocol::V2, client, local);
        const auto parsed = parse(header + "payload");
        REQUIRE(parsed.status == Status::Complete);
        CHECK(parsed.header.size == header.size());
        CHECK(*parsed.header.source == client);
        CHECK(*parsed.header.destination == local);
        // Cut anywhere: more is needed.
        for (std::size_t n = 0; n < header.size(); ++n)
            CHECK(parse(std::string_view(header).substr(0, n)).status == Status::NeedMore);
        // A TLV (type 0x05, unique id, 3 bytes) after the addresses: part of the header.
        header[15] = static_cast<char>(header[15] + 6);
        header += std::string("\x05\x00\x03" "abc", 6);
        const auto with_tlv = parse(header + "x");
        REQUIRE(with_tlv.status == Status::Complete);
        CHECK(with_tlv.header.size == header.size());
        CHECK(*with_tlv.header.source == client);
    }
    const auto local = parse(proxy_header_local(config::ProxyProtocol::V2) + "GET");
    REQUIRE(local.status == Status::Complete);
    CHECK(local.header.size == 16);
    CHECK_FALSE(local.header.source);
}

TEST_CASE("PROXY v2: wrong version, command or lengths are refused", "[proxy]") {
    const std::string good =
        proxy_header(config::ProxyProtocol::V2, at("192.0.2.7:1"), at("10.0.0.1:2"));
    std::string version = good;
    version[12] = 0x31;  // version 3
    CHECK(parse(version).status == Status::Invalid);
    std::string command = good;
    command[12] = 0x22;  // command 2
    CHECK(parse(command).status == Status::Invalid);
    std::string short_ipv4 = good.substr(0, 16) + good.substr(16, 8);
    short_ipv4[15] = 8;  // TCP over IPv4 in 8 bytes
    CHECK(parse(short_ipv4).status == Status::Invalid);
    std::string huge = good;
    huge[14] = 0x10;  // 4096 + 12 bytes of addresses and TLVs
    CHECK(parse(huge).status == Status::Invalid);
    // A family lb does not proxy (UDP over IPv4): complete, its addresses ignored.
    std::string udp = good;
    udp[13] = 0x12;
    const auto ignored = parse(udp);
    REQUIRE(ignored.status == Status::Complete);
    CHECK_FALSE(ignored.header.source);
}

// Bounded: 200 000 inputs, seeded, so a failure reproduces.
TEST_CASE("PROXY header fuzz: mutated headers and random bytes never crash or over-claim",
          "[proxy][fuzz]") {
    std::mt19937 random(20261206);
    const std::vector<std::string> seeds = {
        "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\n",
        "PROXY TCP6 2001:db8::9 2001:db8::1 1 65535\r\n",
        "PROXY UNKNOWN\r\n",
        proxy_header(config::ProxyProtocol::V2, at("192.0.2.7:51234"), at("10.0.0.100:443")),
        proxy_header(config::ProxyProtocol::V2, at("[2001:db8::7]:1"), at("[2001:db8::1]:2")),
        proxy_header_local(config::ProxyProtocol::V2),
    };
    std::size_t complete = 0;
    std::size_t invalid = 0;
    for (int i = 0; i < 200'000; ++i) {
        std::vector<std::uint8_t> input;
        if (i % 4 == 0) {
            input.resize(random() % 200);
            for (auto& byte : input) byte = static_cast<std::uint8_t>(random());
        } else {
            input = as_bytes(seeds[random() % seeds.size()]);
            const int edits = 1 + static_cast<int>(random() % 4);
            for (int e = 0; e < edits && !input.empty(); ++e) {
                const std::size_t at_byte = random() % input.size();
                switch (random() % 3) {
                    case 0: input[at_byte] = static_cast<std::uint8_t>(random()); break;
                    case 1: input.erase(input.begin() + static_cast<std::ptrdiff_t>(at_byte)); break;
                    default:
                        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at_byte),
                                     static_cast<std::uint8_t>(random()));
                }
            }
            if (random() % 2 == 0) input.resize(random() % (input.size() + 1));  // truncated
        }
        const ProxyHeaderParse out = parse_proxy_header(input);
        switch (out.status) {
            case Status::Complete:
                ++complete;
                REQUIRE(out.header.size <= input.size());
                REQUIRE(out.header.size <= kMaxProxyHeaderBytes);
                REQUIRE(out.header.source.has_value() == out.header.destination.has_value());
                break;
            case Status::NeedMore:
                REQUIRE(out.need == input.size());
                break;
            case Status::Invalid:
                ++invalid;
                REQUIRE_FALSE(out.error.empty());
                break;
        }
    }
    // The mutations reach both verdicts, so the loop exercised more than the first byte check.
    CHECK(complete > 1000);
    CHECK(invalid > 1000);
}

}  // namespace
}  // namespace lb
