// JSON text as RFC 8259 wants it: escaped strings that are always valid UTF-8, finite numbers.
#include "lb/metrics/json_writer.h"

#include <fmt/format.h>

#include <cmath>

namespace lb::metrics {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `text`, or 0 if it is not one (overlongs,
// surrogates and code points past U+10FFFF are invalid, RFC 3629).
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
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
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text.front());
        if (c >= 0x80) {
            const std::size_t length = utf8_sequence_length(text);
            out += length == 0 ? kReplacement : text.substr(0, length);
            text.remove_prefix(length == 0 ? 1 : length);
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
        text.remove_prefix(1);
    }
    return out;
}

void JsonWriter::open(char bracket) {
    separate();
    out_ += bracket;
    first_ = true;
}

void JsonWriter::close(char bracket) {
    out_ += bracket;
    first_ = false;
}

void JsonWriter::key(std::string_view name) {
    separate();
    out_ += '"';
    out_ += json_escape(name);
    out_ += "\":";
    after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
    separate();
    out_ += '"';
    out_ += json_escape(text);
    out_ += '"';
}

void JsonWriter::number(std::uint64_t value) { raw(fmt::format("{}", value)); }
void JsonWriter::number(std::int64_t value) { raw(fmt::format("{}", value)); }

void JsonWriter::number(double value) {
    if (std::isfinite(value)) {
        raw(fmt::format("{}", value));  // shortest round-trip form
    } else {
        null();  // JSON has no NaN or infinity
    }
}

void JsonWriter::raw(std::string_view text) {
    separate();
    out_ += text;
}

void JsonWriter::separate() {
    if (after_key_) {  // a value right after its key takes no comma
        after_key_ = false;
        first_ = false;
        return;
    }
    if (!first_) out_ += ',';
    first_ = false;
}

}  // namespace lb::metrics
