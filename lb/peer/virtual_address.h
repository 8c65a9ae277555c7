// The pair's virtual IP: "10.0.0.100/24" or "2001:db8::100/64", parsed once from [peer] vip.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "lb/base/result.h"

namespace lb::peer {

struct VirtualAddress {
    int family = AF_INET;                  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> bytes{};  // network order; 4 used for IPv4
    std::uint8_t prefix_length = 32;

    [[nodiscard]] static Result<VirtualAddress> parse(std::string_view text);
    [[nodiscard]] std::size_t size() const { return family == AF_INET ? 4 : 16; }
    [[nodiscard]] std::string to_string() const;  // "10.0.0.100/24"
    [[nodiscard]] std::string ip_string() const;  // "10.0.0.100"

    friend bool operator==(const VirtualAddress&, const VirtualAddress&) = default;
};

}  // namespace lb::peer
