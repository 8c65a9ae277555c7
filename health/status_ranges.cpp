// StatusRanges parsing is strict: a typo in expect_status must not silently accept everything.
#include "health/status_ranges.h"

#include <charconv>

namespace lb::health {
namespace {

constexpr int kLowestStatus = 100;
constexpr int kHighestStatus = 599;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Exactly three digits, within the HTTP status range.
std::optional<int> parse_code(std::string_view text) {
    text = trim(text);
    if (text.size() != 3) return std::nullopt;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    if (value < kLowestStatus || value > kHighestStatus) return std::nullopt;
    return value;
}

}  // namespace

std::optional<StatusRanges> StatusRanges::parse(std::string_view spec) {
    StatusRanges out;
    for (;;) {
        const auto comma = spec.find(',');
        const std::string_view item = spec.substr(0, comma);
        const auto dash = item.find('-');
        const auto low = parse_code(item.substr(0, dash));
        const auto high = dash == std::string_view::npos ? low : parse_code(item.substr(dash + 1));
        if (!low || !high || *low > *high) return std::nullopt;
        out.ranges_.emplace_back(*low, *high);
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    return out;
}

bool StatusRanges::contains(int status) const {
    for (const auto& [low, high] : ranges_)
        if (status >= low && status <= high) return true;
    return false;
}

std::string StatusRanges::to_string() const {
    std::string out;
    for (const auto& [low, high] : ranges_) {
        if (!out.empty()) out += ',';
        out += std::to_string(low);
        if (high != low) out += '-' + std::to_string(high);
    }
    return out;
}

}  // namespace lb::health
