// Literal IPv4/IPv6 endpoints as lb.toml spells them; IPv6 needs brackets when a port follows.
#include "config/socket_address.h"

#include <catch2/catch.hpp>
#include <string_view>

namespace lb {
namespace {

TEST_CASE("parse_endpoint accepts v4 and bracketed v6 with a port", "[unit][config]") {
    struct Row {
        const char* what;
        std::string_view text;
        bool ok;
        int family;
        std::string_view ip;
        std::uint16_t port;
    };
    const Row rows[] = {
        {"v4", "10.0.0.1:443", true, AF_INET, "10.0.0.1", 443},
        {"v4 any", "0.0.0.0:80", true, AF_INET, "0.0.0.0", 80},
        {"v6", "[fd00::1]:443", true, AF_INET6, "fd00::1", 443},
        {"v6 any", "[::]:443", true, AF_INET6, "::", 443},
        {"highest port", "10.0.0.1:65535", true, AF_INET, "10.0.0.1", 65535},
        {"no port", "10.0.0.1", false, 0, "", 0},
        {"empty port", "10.0.0.1:", false, 0, "", 0},
        {"port too large", "10.0.0.1:70000", false, 0, "", 0},
        {"port not a number", "10.0.0.1:https", false, 0, "", 0},
        {"v4 octet too large", "10.0.0.300:443", false, 0, "", 0},
        {"host name", "gateway:443", false, 0, "", 0},
        {"v6 without brackets", "fd00::1:443", false, 0, "", 0},
        {"v6 garbage", "[fd00::zz]:443", false, 0, "", 0},
        {"v4 in brackets", "[10.0.0.1]:443", false, 0, "", 0},
        {"unclosed bracket", "[fd00::1:443", false, 0, "", 0},
        {"empty", "", false, 0, "", 0},
    };
    for (const auto& row : rows) {
        INFO(row.what << ": \"" << row.text << "\"");
        const auto address = SocketAddress::parse_endpoint(row.text);
        REQUIRE(address.has_value() == row.ok);
        if (!row.ok) continue;
        CHECK(address->family() == row.family);
        CHECK(address->ip_string() == row.ip);
        CHECK(address->port() == row.port);
        CHECK(address->to_string() == row.text);
    }
}

TEST_CASE("parse_ip accepts a bare v4 or v6 address", "[unit][config]") {
    struct Row {
        const char* what;
        std::string_view text;
        bool ok;
        std::string_view ip;
    };
    const Row rows[] = {
        {"v4", "10.0.0.11", true, "10.0.0.11"},
        {"v6", "fd00::11", true, "fd00::11"},
        {"v6 in brackets", "[fd00::11]", true, "fd00::11"},
        {"v4 with a port", "10.0.0.11:443", false, ""},
        {"v4 garbage", "10.0.0", false, ""},
        {"v6 garbage", "fd00:::11", false, ""},
        {"name", "site-a", false, ""},
        {"empty", "", false, ""},
    };
    for (const auto& row : rows) {
        INFO(row.what << ": \"" << row.text << "\"");
        const auto address = SocketAddress::parse_ip(row.text);
        REQUIRE(address.has_value() == row.ok);
        if (row.ok) {
            CHECK(address->ip_string() == row.ip);
            CHECK(address->port() == 0);
        }
    }
}

}  // namespace
}  // namespace lb
