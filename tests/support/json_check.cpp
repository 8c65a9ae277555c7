// Recursive descent over RFC 8259's grammar. Strict where producers go wrong: raw control
// characters in strings, bad escapes, lone surrogates, invalid UTF-8, trailing commas, NaN.
#include "tests/support/json_check.h"

#include <cstdlib>
#include <stdexcept>

namespace lb::test {
namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    JsonParse run() {
        JsonParse result;
        JsonValue value;
        skip_ws();
        if (parse_value(value, 0)) {
            skip_ws();
            if (pos_ == s_.size()) {
                result.value = std::move(value);
                return result;
            }
            fail("trailing characters after the value");
        }
        result.error = "offset " + std::to_string(error_pos_) + ": " + error_;
        return result;
    }

private:
    bool fail(std::string why) {
        if (error_.empty()) {
            error_ = std::move(why);
            error_pos_ = pos_;
        }
        return false;
    }
    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool parse_value(JsonValue& out, int depth) {
        if (depth > 64) return fail("nested too deeply");
        if (pos_ >= s_.size()) return fail("unexpected end");
        switch (s_[pos_]) {
            case '{':
                return parse_object(out, depth);
            case '[':
                return parse_array(out, depth);
            case '"':
                out.kind = JsonValue::Kind::String;
                return parse_string(out.text);
            case 't':
                out.kind = JsonValue::Kind::Bool;
                out.boolean = true;
                return literal("true");
            case 'f':
                out.kind = JsonValue::Kind::Bool;
                return literal("false");
            case 'n':
                out.kind = JsonValue::Kind::Null;
                return literal("null");
            default:
                return parse_number(out);
        }
    }

    bool parse_object(JsonValue& out, int depth) {
        out.kind = JsonValue::Kind::Object;
        ++pos_;
        skip_ws();
        if (eat('}')) return true;
        for (;;) {
            skip_ws();
            std::string key;
            if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a string key");
            if (!parse_string(key)) return false;
            skip_ws();
            if (!eat(':')) return fail("expected ':'");
            skip_ws();
            JsonValue value;
            if (!parse_value(value, depth + 1)) return false;
            out.keys.push_back(std::move(key));
            out.items.push_back(std::move(value));
            skip_ws();
            if (eat('}')) return true;
            if (!eat(',')) return fail("expected ',' or '}'");
        }
    }

    bool parse_array(JsonValue& out, int depth) {
        out.kind = JsonValue::Kind::Array;
        ++pos_;
        skip_ws();
        if (eat(']')) return true;
        for (;;) {
            skip_ws();
            JsonValue value;
            if (!parse_value(value, depth + 1)) return false;
            out.items.push_back(std::move(value));
            skip_ws();
            if (eat(']')) return true;
            if (!eat(',')) return fail("expected ',' or ']'");
        }
    }

    bool digits() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        return pos_ > start;
    }

    bool parse_number(JsonValue& out) {
        const std::size_t start = pos_;
        eat('-');
        if (eat('0')) {
            // no leading zeros
        } else if (!digits()) {
            return fail("expected a value");
        }
        if (eat('.') && !digits()) return fail("expected digits after '.'");
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (!digits()) return fail("expected an exponent");
        }
        out.kind = JsonValue::Kind::Number;
        out.number = std::strtod(std::string(s_.substr(start, pos_ - start)).c_str(), nullptr);
        return true;
    }

    bool hex4(unsigned& value) {
        if (pos_ + 4 > s_.size()) return fail("short \\u escape");
        value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            value <<= 4;
            if (c >= '0' && c <= '9')
                value |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                value |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                value |= static_cast<unsigned>(c - 'A' + 10);
            else
                return fail("bad hex digit in \\u escape");
        }
        return true;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        const auto byte = [](unsigned v) {
            return static_cast<char>(static_cast<unsigned char>(v));
        };
        if (cp < 0x80) {
            out += byte(cp);
        } else if (cp < 0x800) {
            out += byte(0xc0 | (cp >> 6));
            out += byte(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += byte(0xe0 | (cp >> 12));
            out += byte(0x80 | ((cp >> 6) & 0x3f));
            out += byte(0x80 | (cp & 0x3f));
        } else {
            out += byte(0xf0 | (cp >> 18));
            out += byte(0x80 | ((cp >> 12) & 0x3f));
            out += byte(0x80 | ((cp >> 6) & 0x3f));
            out += byte(0x80 | (cp & 0x3f));
        }
    }

    bool parse_escape(std::string& out) {
        if (pos_ >= s_.size()) return fail("unterminated escape");
        const char c = s_[pos_++];
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
                return fail("bad escape");
        }
        unsigned cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail("lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            unsigned low = 0;
            if (!eat('\\') || !eat('u') || !hex4(low) || low < 0xdc00 || low > 0xdfff)
                return fail("lone high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        append_utf8(out, cp);
        return true;
    }

    // Valid UTF-8 sequence length at pos_ (RFC 3629), 0 if invalid.
    std::size_t utf8_length() const {
        const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s_[i]); };
        const unsigned char b0 = at(pos_);
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            len = 2;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            len = 3;
            if (b0 == 0xe0) lo = 0xa0;  // no overlong forms
            if (b0 == 0xed) hi = 0x9f;  // no surrogates
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            len = 4;
            if (b0 == 0xf0) lo = 0x90;
            if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
        } else {
            return 0;
        }
        if (pos_ + len > s_.size() || at(pos_ + 1) < lo || at(pos_ + 1) > hi) return 0;
        for (std::size_t i = 2; i < len; ++i)
            if (at(pos_ + i) < 0x80 || at(pos_ + i) > 0xbf) return 0;
        return len;
    }

    bool parse_string(std::string& out) {
        ++pos_;  // opening quote
        while (pos_ < s_.size()) {
            const auto byte = static_cast<unsigned char>(s_[pos_]);
            if (byte == '"') {
                ++pos_;
                return true;
            }
            if (byte == '\\') {
                ++pos_;
                if (!parse_escape(out)) return false;
            } else if (byte < 0x20) {
                return fail("raw control character in a string");
            } else if (byte >= 0x80) {
                const std::size_t len = utf8_length();
                if (len == 0) return fail("invalid UTF-8 in a string");
                out.append(s_.substr(pos_, len));
                pos_ += len;
            } else {
                out += s_[pos_++];
            }
        }
        return fail("unterminated string");
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::string error_;
    std::size_t error_pos_ = 0;
};

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
    if (kind != Kind::Object) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

const JsonValue& JsonValue::at(std::string_view key) const {
    if (const JsonValue* value = find(key)) return *value;
    throw std::out_of_range("JSON object has no key '" + std::string(key) + "'");
}

JsonParse parse_json(std::string_view text) { return Parser(text).run(); }

}  // namespace lb::test
