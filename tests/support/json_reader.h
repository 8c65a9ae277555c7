// A strict JSON reader (RFC 8259) for tests that check documents the balancer produces:
// nlohmann's parser into a small value tree that answers absent keys and wrong kinds with null,
// 0 or "" (so a wrong document fails a CHECK instead of throwing) and keeps number literals.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lb::test::json {

class Value {
public:
    enum class Kind { Null, Bool, Number, String, Array, Object };

    [[nodiscard]] Kind kind() const { return kind_; }
    [[nodiscard]] bool is_null() const { return kind_ == Kind::Null; }
    [[nodiscard]] bool is_bool() const { return kind_ == Kind::Bool; }
    [[nodiscard]] bool is_number() const { return kind_ == Kind::Number; }
    [[nodiscard]] bool is_string() const { return kind_ == Kind::String; }
    [[nodiscard]] bool is_array() const { return kind_ == Kind::Array; }
    [[nodiscard]] bool is_object() const { return kind_ == Kind::Object; }

    // Scalars; a value of another kind gives false, 0 or "".
    [[nodiscard]] bool boolean() const { return kind_ == Kind::Bool && boolean_; }
    [[nodiscard]] double number() const { return kind_ == Kind::Number ? number_ : 0; }
    // A number's literal as written ("18446744073709551615"), for exact integer checks.
    [[nodiscard]] const std::string& literal() const { return text_; }
    [[nodiscard]] const std::string& string() const;

    // Arrays.
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] const Value& operator[](std::size_t index) const;  // null if out of range
    // For literal indices (`json[0]`, which would otherwise also match `const char*`).
    [[nodiscard]] const Value& operator[](int index) const {
        return (*this)[index < 0 ? static_cast<std::size_t>(-1) : static_cast<std::size_t>(index)];
    }
    [[nodiscard]] const std::vector<Value>& items() const { return items_; }

    // Objects, in document order; keys are unique (the reader rejects duplicates).
    [[nodiscard]] bool contains(std::string_view key) const;
    [[nodiscard]] const Value& operator[](std::string_view key) const;  // null if absent
    [[nodiscard]] const Value& operator[](const char* key) const {
        return (*this)[std::string_view(key)];
    }
    // The member named `key`; throws std::out_of_range when there is none, so a test that needs
    // the member fails there, naming the key, instead of checking a null further on.
    [[nodiscard]] const Value& at(std::string_view key) const;
    [[nodiscard]] std::vector<std::string> keys() const;  // in document order
    [[nodiscard]] const std::vector<std::pair<std::string, Value>>& members() const {
        return members_;
    }

private:
    friend class Builder;

    Kind kind_ = Kind::Null;
    bool boolean_ = false;
    double number_ = 0;
    std::string text_;  // a string's decoded value, or a number's literal
    std::vector<Value> items_;
    std::vector<std::pair<std::string, Value>> members_;
};

struct ParseResult {
    std::optional<Value> value;  // set on success
    std::string error;           // "offset 12: expected ':'" on failure
};

// The whole text must be one JSON value, with optional whitespace around it. Strings must be
// valid UTF-8; \u escapes (with surrogate pairs) are decoded to UTF-8. Nesting is capped at 256.
[[nodiscard]] ParseResult parse(std::string_view text);

}  // namespace lb::test::json
