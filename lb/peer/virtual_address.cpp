#include "lb/peer/virtual_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace lb::peer {

Result<VirtualAddress> VirtualAddress::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    const std::string ip(text.substr(0, slash));
    VirtualAddress out;
    if (inet_pton(AF_INET, ip.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET;
        out.prefix_length = 32;
    } else if (inet_pton(AF_INET6, ip.c_str(), out.bytes.data()) == 1) {
        out.family = AF_INET6;
        out.prefix_length = 128;
    } else {
        return Error{fmt::format("'{}' is not an IPv4 or IPv6 address", ip)};
    }
    if (slash != std::string_view::npos) {
        const std::string_view length = text.substr(slash + 1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), value);
        const unsigned max = out.family == AF_INET ? 32 : 128;
        if (length.empty() || ec != std::errc{} || end != length.data() + length.size() ||
            value > max)
            return Error{fmt::format("'{}': the prefix length must be 0..{}", text, max)};
        out.prefix_length = static_cast<std::uint8_t>(value);
    }
    return out;
}

std::string VirtualAddress::ip_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes.data(), text, sizeof text);
    return text;
}

std::string VirtualAddress::to_string() const {
    return fmt::format("{}/{}", ip_string(), prefix_length);
}

}  // namespace lb::peer
