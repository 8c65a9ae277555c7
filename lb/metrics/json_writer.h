// A minimal streaming JSON writer for status documents: the caller emits keys and values in
// order and the writer places commas and escapes strings. Invariant: the output is valid JSON
// once every open() has its close().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace lb::metrics {

// The inside of a JSON string literal (no quotes): ", \ and control characters escaped; invalid
// UTF-8 becomes U+FFFD, so the document always parses.
[[nodiscard]] std::string json_escape(std::string_view text);

class JsonWriter {
public:
    void open(char bracket);   // '{' or '['
    void close(char bracket);  // '}' or ']'
    void key(std::string_view name);
    void string(std::string_view text);
    void null() { raw("null"); }
    void boolean(bool value) { raw(value ? "true" : "false"); }
    void number(std::uint64_t value);
    void number(std::int64_t value);
    void number(double value);  // NaN and infinities become null

    // key(name) then the value, by its C++ type.
    template <typename T>
    void field(std::string_view name, const T& value) {
        key(name);
        if constexpr (std::is_same_v<T, std::string>) {
            string(value);
        } else if constexpr (std::is_same_v<T, bool>) {
            boolean(value);
        } else if constexpr (std::is_floating_point_v<T>) {
            number(static_cast<double>(value));
        } else if constexpr (std::is_signed_v<T>) {
            number(static_cast<std::int64_t>(value));
        } else {
            number(static_cast<std::uint64_t>(value));
        }
    }

    [[nodiscard]] std::string take() { return std::move(out_); }

private:
    void raw(std::string_view text);
    void separate();

    std::string out_;
    bool first_ = true;
    bool after_key_ = false;
};

}  // namespace lb::metrics
