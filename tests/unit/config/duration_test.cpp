// Durations in lb.toml are strings with a unit; bare numbers, negatives and unknown units fail.
#include "config/duration.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string_view>

namespace lb {
namespace {

using namespace std::chrono_literals;

TEST_CASE("parse_duration reads a number with a unit", "[unit][config]") {
    struct Row {
        const char* what;
        std::string_view text;
        std::optional<Duration> expected;
    };
    const Row rows[] = {
        {"milliseconds", "250ms", 250ms},
        {"seconds", "2s", 2s},
        {"minutes", "5m", 5min},
        {"hours", "1h", 1h},
        {"fractional seconds", "1.5s", 1500ms},
        {"zero", "0s", 0ms},
        {"bare number", "5", std::nullopt},
        {"negative", "-1s", std::nullopt},
        {"unknown unit", "5x", std::nullopt},
        {"empty", "", std::nullopt},
        {"unit only", "s", std::nullopt},
        {"space before the unit", "5 s", std::nullopt},
        {"unit in capitals", "5S", std::nullopt},
    };
    for (const auto& row : rows) {
        INFO(row.what << ": \"" << row.text << "\"");
        CHECK(parse_duration(row.text) == row.expected);
    }
}

TEST_CASE("format_duration picks the largest exact unit and round-trips", "[unit][config]") {
    struct Row {
        const char* what;
        Duration value;
        std::string_view text;
    };
    const Row rows[] = {
        {"milliseconds", 250ms, "250ms"}, {"seconds", 2s, "2s"},
        {"minutes", 5min, "5m"},          {"hours", 1h, "1h"},
        {"not whole", 1500ms, "1500ms"},  {"zero", 0ms, "0ms"},
    };
    for (const auto& row : rows) {
        INFO(row.what);
        CHECK(format_duration(row.value) == row.text);
        CHECK(parse_duration(format_duration(row.value)) == row.value);
    }
}

}  // namespace
}  // namespace lb
