// [peer] vip as the driver reads it, and the privilege message `lb run` prints without them.
#include "lb/peer/virtual_address.h"

#include <catch2/catch.hpp>

#include "lb/peer/capabilities.h"

namespace lb::peer {
namespace {

TEST_CASE("a VIP parses as an address with its prefix length", "[unit][peer]") {
    const auto v4 = VirtualAddress::parse("10.0.0.100/24");
    REQUIRE(v4.ok());
    CHECK(v4.value().family == AF_INET);
    CHECK(v4.value().size() == 4);
    CHECK(v4.value().prefix_length == 24);
    CHECK(v4.value().to_string() == "10.0.0.100/24");
    CHECK(v4.value().ip_string() == "10.0.0.100");

    const auto v6 = VirtualAddress::parse("2001:db8::100/64");
    REQUIRE(v6.ok());
    CHECK(v6.value().family == AF_INET6);
    CHECK(v6.value().size() == 16);
    CHECK(v6.value().to_string() == "2001:db8::100/64");

    const auto bare = VirtualAddress::parse("10.0.0.100");
    REQUIRE(bare.ok());
    CHECK(bare.value().prefix_length == 32);

    for (const char* bad : {"10.0.0.100/33", "2001:db8::1/129", "10.0.0/24", "10.0.0.1/x",
                            "10.0.0.1/", "vip/24", ""}) {
        INFO(bad);
        CHECK_FALSE(VirtualAddress::parse(bad).ok());
    }
}

TEST_CASE("missing capabilities are named, with how to grant them", "[unit][peer]") {
    CHECK(missing_capabilities_text({true, true}).empty());
    const std::string none = missing_capabilities_text({false, false});
    CHECK(none.find("CAP_NET_ADMIN") != std::string::npos);
    CHECK(none.find("CAP_NET_RAW") != std::string::npos);
    CHECK(none.find("AmbientCapabilities") != std::string::npos);
    const std::string raw = missing_capabilities_text({true, false});
    CHECK(raw.starts_with("[peer] needs CAP_NET_RAW (to announce it"));
}

}  // namespace
}  // namespace lb::peer
