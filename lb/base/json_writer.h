// The one JSON writer (RFC 8259) behind everything lb emits as JSON: admin replies, /status.json,
// JSON log lines and connection log lines. Commas and escaping are its job, so the text is valid
// JSON once every begin_* has its end_*, whatever the strings contain (invalid UTF-8 becomes
// U+FFFD). Strings are escaped by nlohmann's JSON serializer, the escaper the state file
// (lb/policy, which cannot use lb/base) writes with too: there is no other.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace lb {

// The inside of a JSON string literal (no quotes): quote, backslash and control characters (and
// DEL) escaped; valid UTF-8 kept; each byte that starts no valid sequence becomes U+FFFD.
[[nodiscard]] std::string json_escape(std::string_view text);
// `text` as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view text);

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // The next value belongs to `name` (inside an object).
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    template <std::integral T>
    requires(!std::same_as<T, bool>)
        JsonWriter& value(T number) {  // every digit: JSON numbers have no size limit
        if constexpr (std::is_signed_v<T>)
            return integer(static_cast<std::int64_t>(number));
        else
            return integer(static_cast<std::uint64_t>(number));
    }
    // The shortest text that reads back as `number`; NaN and infinities (not JSON) become null.
    JsonWriter& value(double number);
    // Exactly `decimals` digits after the point ("1.250"); NaN and infinities become null.
    JsonWriter& value(double number, int decimals);
    JsonWriter& null();

    template <typename T>
    JsonWriter& field(std::string_view name, const T& v) {
        return key(name).value(v);
    }

    // The document so far; complete once every begin_* has its end_*.
    [[nodiscard]] const std::string& text() const { return out_; }
    [[nodiscard]] std::string take() { return std::move(out_); }

private:
    JsonWriter& integer(std::int64_t number);
    JsonWriter& integer(std::uint64_t number);
    JsonWriter& raw(std::string_view text);
    void before_value();

    std::string out_;
    std::vector<bool> has_items_;  // per open container: a comma is due before the next item
    bool after_key_ = false;
};

}  // namespace lb
