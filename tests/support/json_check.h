// A strict RFC 8259 JSON parser for tests: a reply either parses into a small tree the test can
// inspect, or the parse fails with the offset and reason. No dependency beyond the standard.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb::test {

struct JsonValue {
    enum class Kind { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    double number = 0;
    std::string text;               // String
    std::vector<JsonValue> items;   // Array, and Object values
    std::vector<std::string> keys;  // Object keys, parallel to items

    // The member named `key` of an object, or null.
    [[nodiscard]] const JsonValue* find(std::string_view key) const;
    // The member named `key`; fails a Catch2 REQUIRE-style check by throwing if absent.
    [[nodiscard]] const JsonValue& at(std::string_view key) const;
    [[nodiscard]] bool is(Kind k) const { return kind == k; }
};

struct JsonParse {
    std::optional<JsonValue> value;
    std::string error;  // "offset 12: expected ':'" when value is empty
};

// Exactly one JSON value, optionally surrounded by whitespace; anything else is an error.
[[nodiscard]] JsonParse parse_json(std::string_view text);

}  // namespace lb::test
