// The PROXY protocol header, byte for byte against HAProxy's spec (doc/proxy-protocol.txt):
// v1's text line, v2's signature, command, family, length and addresses in network order.
#include "config/proxy_header.h"

#include <catch2/catch.hpp>
#include <string>

namespace lb {
namespace {

using config::ProxyProtocol;

SocketAddress at(std::string_view text) {
    auto address = SocketAddress::parse_endpoint(text);
    REQUIRE(address);
    return *address;
}

std::string bytes(std::initializer_list<unsigned> values) {
    std::string out;
    for (const unsigned v : values) out += static_cast<char>(v);
    return out;
}

const std::string kSignature =
    bytes({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});

TEST_CASE("PROXY v1: one text line with the client's and the listener's address and port",
          "[proxy]") {
    CHECK(proxy_header(ProxyProtocol::V1, at("192.0.2.7:51234"), at("10.0.0.100:443")) ==
          "PROXY TCP4 192.0.2.7 10.0.0.100 51234 443\r\n");
    CHECK(proxy_header(ProxyProtocol::V1, at("[2001:db8::7]:51234"), at("[2001:db8::100]:443")) ==
          "PROXY TCP6 2001:db8::7 2001:db8::100 51234 443\r\n");
    // The longest possible line fits the spec's 108 bytes.
    const std::string longest =
        proxy_header(ProxyProtocol::V1, at("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
                     at("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
    CHECK(longest.size() <= 108);
}

TEST_CASE("PROXY v2: signature, PROXY command, TCP over IPv4 or IPv6, big-endian addresses",
          "[proxy]") {
    CHECK(proxy_header(ProxyProtocol::V2, at("192.0.2.7:51234"), at("10.0.0.100:443")) ==
          kSignature + bytes({0x21, 0x11, 0x00, 0x0C,     // v2 PROXY, TCP4, 12 bytes
                              192, 0, 2, 7, 10, 0, 0, 100,  // source, destination
                              0xC8, 0x22, 0x01, 0xBB}));    // 51234, 443
    const std::string v6 =
        proxy_header(ProxyProtocol::V2, at("[2001:db8::7]:1"), at("[2001:db8::100]:443"));
    REQUIRE(v6.size() == 16 + 36);
    CHECK(v6.substr(0, 16) == kSignature + bytes({0x21, 0x21, 0x00, 0x24}));
    CHECK(v6.substr(16, 16) ==
          bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07}));
    CHECK(v6.substr(32, 16) ==
          bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}));
    CHECK(v6.substr(48) == bytes({0x00, 0x01, 0x01, 0xBB}));
}

TEST_CASE("PROXY LOCAL and UNKNOWN: no addresses to give", "[proxy]") {
    CHECK(proxy_header_local(ProxyProtocol::V2) == kSignature + bytes({0x20, 0x00, 0x00, 0x00}));
    CHECK(proxy_header_local(ProxyProtocol::V1) == "PROXY UNKNOWN\r\n");
    CHECK(proxy_header_local(ProxyProtocol::None).empty());
    CHECK(proxy_header(ProxyProtocol::None, at("192.0.2.7:1"), at("10.0.0.1:2")).empty());
    // Two families for one connection cannot happen; if it did, no address is invented.
    CHECK(proxy_header(ProxyProtocol::V1, at("192.0.2.7:1"), at("[2001:db8::1]:2")) ==
          "PROXY UNKNOWN\r\n");
}

}  // namespace
}  // namespace lb
