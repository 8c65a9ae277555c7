// A streaming JSON builder for admin replies: commas and escaping are its job, so every reply is
// valid JSON (RFC 8259) whatever the names and check reasons contain. Invalid UTF-8 becomes U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lb::admin {

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
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(double number);  // NaN and infinities (not JSON) are written as null
    JsonWriter& null();

    template <typename T>
    JsonWriter& field(std::string_view name, const T& v) {
        return key(name).value(v);
    }

    // The document so far; complete once every begin_* has its end_*.
    [[nodiscard]] const std::string& text() const { return out_; }

private:
    void before_value();

    std::string out_;
    std::vector<bool> has_items_;  // per open container: a comma is due before the next item
    bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view text);

}  // namespace lb::admin
