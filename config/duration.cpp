#include "config/duration.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace lb {

std::optional<Duration> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.'))
        ++digits;
    if (digits == 0 || digits == text.size()) return std::nullopt;  // no number, or no unit
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
    if (ec != std::errc{} || end != text.data() + digits || !std::isfinite(value))
        return std::nullopt;

    const std::string_view unit = text.substr(digits);
    double ms_per_unit = 0;
    if (unit == "ms")
        ms_per_unit = 1;
    else if (unit == "s")
        ms_per_unit = 1e3;
    else if (unit == "m")
        ms_per_unit = 60e3;
    else if (unit == "h")
        ms_per_unit = 3600e3;
    else
        return std::nullopt;

    const double ms = std::round(value * ms_per_unit);
    if (ms > static_cast<double>(std::numeric_limits<std::int32_t>::max()) * 1000.0)
        return std::nullopt;
    return Duration(static_cast<Duration::rep>(ms));
}

std::string format_duration(Duration d) {
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace lb
