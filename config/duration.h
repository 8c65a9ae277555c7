// Time as the whole project sees it: millisecond durations on the monotonic clock.
// Durations in the config are strings with a unit ("250ms", "2s", "5m", "1h").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lb {

using Duration = std::chrono::milliseconds;
// Same epoch as CLOCK_MONOTONIC (std::chrono::steady_clock and uv_now() on Linux).
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// "250ms" → 250 ms. Accepts ms, s, m, h, optionally fractional ("1.5s"). Rejects bare numbers,
// negatives, unknown units and values that overflow.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);

// 1500 ms → "1.5s"; 60000 ms → "1m". Round-trips through parse_duration.
[[nodiscard]] std::string format_duration(Duration d);

}  // namespace lb
