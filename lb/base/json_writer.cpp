// Escaping follows RFC 8259 §7 and is nlohmann's: quote, backslash and control characters are
// escaped; valid UTF-8 (RFC 3629) passes through; a byte that does not start a valid sequence
// becomes U+FFFD (checked here first, see json_escape).
#include "lb/base/json_writer.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace lb {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `text`, or 0 if it is not one (overlongs,
// surrogates and code points past U+10FFFF are invalid, RFC 3629 §4).
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) min_second = 0xA0;  // overlong
        if (lead == 0xED) max_second = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) min_second = 0x90;  // overlong
        if (lead == 0xF4) max_second = 0x8F;  // past U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    if (byte(1) < min_second || byte(1) > max_second) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return length;
}

}  // namespace

std::string json_escape(std::string_view text) {
    // Invalid UTF-8 is replaced here, byte by byte, so nlohmann only ever sees valid text (its own
    // replacement would fold a truncated sequence into one U+FFFD).
    std::string valid;
    valid.reserve(text.size());
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text.front());
        const std::size_t length = c < 0x80 ? 1 : utf8_sequence_length(text);
        valid += length == 0 ? kReplacement : text.substr(0, length);
        text.remove_prefix(length == 0 ? 1 : length);
    }
    // The escaping itself is nlohmann's (the one JSON escaper, shared with the state file);
    // `replace` only keeps dump() from ever throwing.
    const std::string quoted = nlohmann::json(std::move(valid))
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(quoted.size());
    for (const char c : std::string_view(quoted).substr(1, quoted.size() - 2)) {
        // DEL is valid JSON unescaped, but it stays escaped as before: log lines are read on
        // terminals. It never occurs inside a multi-byte sequence.
        if (c == '\x7F')
            out += "\\u007f";
        else
            out += c;
    }
    return out;
}

std::string json_quote(std::string_view text) { return '"' + json_escape(text) + '"'; }

void JsonWriter::before_value() {
    if (after_key_) {  // a value right after its key takes no comma
        after_key_ = false;
        return;
    }
    if (!has_items_.empty()) {
        if (has_items_.back()) out_ += ',';
        has_items_.back() = true;
    }
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    out_ += '{';
    has_items_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    out_ += '}';
    has_items_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    out_ += '[';
    has_items_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    out_ += ']';
    has_items_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    before_value();
    out_ += json_quote(name);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) { return raw(json_quote(text)); }

JsonWriter& JsonWriter::value(bool flag) { return raw(flag ? "true" : "false"); }

JsonWriter& JsonWriter::integer(std::int64_t number) { return raw(fmt::format("{}", number)); }

JsonWriter& JsonWriter::integer(std::uint64_t number) { return raw(fmt::format("{}", number)); }

JsonWriter& JsonWriter::value(double number) {
    if (!std::isfinite(number)) return null();  // JSON has no NaN or infinity
    return raw(fmt::format("{}", number));
}

JsonWriter& JsonWriter::value(double number, int decimals) {
    if (!std::isfinite(number)) return null();
    return raw(fmt::format("{:.{}f}", number, decimals));
}

JsonWriter& JsonWriter::null() { return raw("null"); }

JsonWriter& JsonWriter::raw(std::string_view text) {
    before_value();
    out_ += text;
    return *this;
}

}  // namespace lb
