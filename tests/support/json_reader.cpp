// Recursive descent over RFC 8259's grammar; one function per production. Errors carry the byte
// offset so a failing test points at the bad spot of the document.
#include "tests/support/json_reader.h"

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace lb::test::json {

namespace {

const Value& null_value() {
    static const Value null;
    return null;
}

constexpr int kMaxDepth = 256;

}  // namespace

const std::string& Value::string() const {
    static const std::string empty;
    return kind_ == Kind::String ? text_ : empty;
}

std::size_t Value::size() const {
    return kind_ == Kind::Array ? items_.size() : kind_ == Kind::Object ? members_.size() : 0;
}

const Value& Value::operator[](std::size_t index) const {
    return kind_ == Kind::Array && index < items_.size() ? items_[index] : null_value();
}

bool Value::contains(std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return true;
    return false;
}

const Value& Value::operator[](std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return value;
    return null_value();
}

const Value& Value::at(std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return value;
    throw std::out_of_range("JSON object has no key \"" + std::string(key) + "\"");
}

std::vector<std::string> Value::keys() const {
    std::vector<std::string> out;
    for (const auto& [name, value] : members_) out.push_back(name);
    return out;
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    ParseResult run() {
        ParseResult result;
        Value value;
        skip_space();
        if (parse_value(value, 0)) {
            skip_space();
            if (pos_ == text_.size()) {
                result.value = std::move(value);
                return result;
            }
            fail("trailing characters after the value");
        }
        result.error = std::move(error_);
        return result;
    }

private:
    bool fail(std::string_view what) {
        if (error_.empty()) error_ = "offset " + std::to_string(pos_) + ": " + std::string(what);
        return false;
    }
    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return fail("unknown literal");
        pos_ += word.size();
        return true;
    }

    bool parse_value(Value& out, int depth) {
        if (depth > kMaxDepth) return fail("nested too deeply");
        switch (peek()) {
            case '{':
                return parse_object(out, depth);
            case '[':
                return parse_array(out, depth);
            case '"':
                out.kind_ = Value::Kind::String;
                return parse_string(out.text_);
            case 't':
                out.kind_ = Value::Kind::Bool;
                out.boolean_ = true;
                return literal("true");
            case 'f':
                out.kind_ = Value::Kind::Bool;
                return literal("false");
            case 'n':
                out.kind_ = Value::Kind::Null;
                return literal("null");
            default:
                return parse_number(out);
        }
    }

    bool parse_object(Value& out, int depth) {
        out.kind_ = Value::Kind::Object;
        ++pos_;  // '{'
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            skip_space();
            if (peek() != '"') return fail("expected a string key");
            std::string key;
            if (!parse_string(key)) return false;
            if (out.contains(key)) return fail("duplicate key \"" + key + "\"");
            skip_space();
            if (peek() != ':') return fail("expected ':'");
            ++pos_;
            skip_space();
            Value value;
            if (!parse_value(value, depth + 1)) return false;
            out.members_.emplace_back(std::move(key), std::move(value));
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    bool parse_array(Value& out, int depth) {
        out.kind_ = Value::Kind::Array;
        ++pos_;  // '['
        skip_space();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            skip_space();
            Value item;
            if (!parse_value(item, depth + 1)) return false;
            out.items_.push_back(std::move(item));
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    bool parse_number(Value& out) {
        const std::size_t start = pos_;
        auto digits = [&] {
            const std::size_t from = pos_;
            while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
            return pos_ - from;
        };
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (digits() == 0) {
            return fail("expected a value");
        }
        if (peek() == '.') {
            ++pos_;
            if (digits() == 0) return fail("expected digits after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (digits() == 0) return fail("expected digits in the exponent");
        }
        out.kind_ = Value::Kind::Number;
        out.text_ = std::string(text_.substr(start, pos_ - start));
        const char* first = out.text_.data();
        const auto [end, ec] = std::from_chars(first, first + out.text_.size(), out.number_);
        if (ec != std::errc() || end != first + out.text_.size())
            return fail("number out of range");
        return true;
    }

    bool parse_hex4(std::uint32_t& out) {
        out = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            const char c = peek();
            out <<= 4;
            if (c >= '0' && c <= '9') {
                out |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                out |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                out |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return fail("expected 4 hex digits after \\u");
            }
        }
        return true;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
        if (cp < 0x80) {
            byte(cp);
        } else if (cp < 0x800) {
            byte(0xC0 | (cp >> 6));
            byte(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            byte(0xE0 | (cp >> 12));
            byte(0x80 | ((cp >> 6) & 0x3F));
            byte(0x80 | (cp & 0x3F));
        } else {
            byte(0xF0 | (cp >> 18));
            byte(0x80 | ((cp >> 12) & 0x3F));
            byte(0x80 | ((cp >> 6) & 0x3F));
            byte(0x80 | (cp & 0x3F));
        }
    }

    bool parse_escape(std::string& out) {
        const char c = peek();
        ++pos_;
        switch (c) {
            case '"':
                out += '"';
                return true;
            case '\\':
                out += '\\';
                return true;
            case '/':
                out += '/';
                return true;
            case 'b':
                out += '\b';
                return true;
            case 'f':
                out += '\f';
                return true;
            case 'n':
                out += '\n';
                return true;
            case 'r':
                out += '\r';
                return true;
            case 't':
                out += '\t';
                return true;
            case 'u':
                break;
            default:
                --pos_;
                return fail("unknown escape");
        }
        std::uint32_t cp = 0;
        if (!parse_hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return fail("high surrogate without a low one");
            pos_ += 2;
            if (!parse_hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("high surrogate without a low one");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        return true;
    }

    // Length of a valid UTF-8 sequence starting at pos_ (RFC 3629), 0 if invalid.
    [[nodiscard]] std::size_t utf8_length() const {
        const auto at = [&](std::size_t i) {
            return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0U;
        };
        const unsigned lead = at(0);
        std::size_t length = 0;
        unsigned lo = 0x80;  // the second byte's range excludes overlongs and surrogates
        unsigned hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) lo = 0xA0;
            if (lead == 0xED) hi = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) lo = 0x90;
            if (lead == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (at(1) < lo || at(1) > hi) return 0;
        for (std::size_t i = 2; i < length; ++i)
            if (at(i) < 0x80 || at(i) > 0xBF) return 0;
        return length;
    }

    bool parse_string(std::string& out) {
        ++pos_;  // '"'
        for (;;) {
            if (at_end()) return fail("unterminated string");
            const auto c = static_cast<unsigned char>(peek());
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c < 0x20) return fail("control character in a string");
            if (c == '\\') {
                ++pos_;
                if (!parse_escape(out)) return false;
            } else if (c < 0x80) {
                out += static_cast<char>(c);
                ++pos_;
            } else {
                const std::size_t length = utf8_length();
                if (length == 0) return fail("invalid UTF-8 in a string");
                out += text_.substr(pos_, length);
                pos_ += length;
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
};

ParseResult parse(std::string_view text) { return Parser(text).run(); }

}  // namespace lb::test::json
