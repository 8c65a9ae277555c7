#include "config/haproxy/tokenizer.h"

#include <utility>

namespace lb::config::haproxy {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One line's words; `error` is set when HAProxy would refuse the line.
class LineLexer {
public:
    LineLexer(std::string_view line, int number, const Environment& env, ImportDiagnostics& out)
        : line_(line), number_(number), env_(env), out_(out) {}

    // nullopt after an error (already reported).
    std::optional<std::vector<std::string>> run() {
        enum class Quote { None, Single, Double };
        Quote quote = Quote::None;
        std::size_t i = 0;
        while (i < line_.size()) {
            const char c = line_[i];
            if (c == '\0') return fail("NUL byte in the line");
            if (quote == Quote::Single) {
                if (c == '\'')
                    quote = Quote::None;
                else
                    current_ += c;
                ++i;
                continue;
            }
            if (c == '\\') {
                if (!escape(i)) return std::nullopt;
                in_word_ = true;
                continue;
            }
            if (quote == Quote::Double) {
                if (c == '"') {
                    quote = Quote::None;
                    ++i;
                } else if (c == '$') {
                    if (!expand(i)) return std::nullopt;
                } else {
                    current_ += c;
                    ++i;
                }
                continue;
            }
            if (c == '#') break;
            if (is_blank(c)) {
                end_word();
            } else if (c == '\'') {
                quote = Quote::Single;
                in_word_ = true;
            } else if (c == '"') {
                quote = Quote::Double;
                in_word_ = true;
            } else {
                current_ += c;
                in_word_ = true;
            }
            ++i;
        }
        if (quote != Quote::None)
            return fail(quote == Quote::Single ? "unterminated single quote"
                                               : "unterminated double quote");
        end_word();
        return std::move(words_);
    }

private:
    std::nullopt_t fail(std::string why) {
        out_.error(number_, why + ": HAProxy refuses this line; it is left out");
        return std::nullopt;
    }

    void end_word() {
        if (in_word_) words_.push_back(std::move(current_));
        current_.clear();
        in_word_ = false;
    }

    // At a backslash (outside single quotes); advances `i` past the sequence.
    bool escape(std::size_t& i) {
        if (i + 1 >= line_.size()) {  // a trailing backslash stays what it is
            current_ += '\\';
            ++i;
            return true;
        }
        const char next = line_[i + 1];
        switch (next) {
            case ' ':
            case '\\':
            case '#':
            case '\'':
            case '"':
            case '$':
                current_ += next;
                i += 2;
                return true;
            case 'r':
                current_ += '\r';
                i += 2;
                return true;
            case 'n':
                current_ += '\n';
                i += 2;
                return true;
            case 't':
                current_ += '\t';
                i += 2;
                return true;
            case 'x': {
                const int high = i + 2 < line_.size() ? hex_value(line_[i + 2]) : -1;
                const int low = i + 3 < line_.size() ? hex_value(line_[i + 3]) : -1;
                if (high < 0 || low < 0) {
                    fail("\\x must be followed by two hexadecimal digits");
                    return false;
                }
                current_ += static_cast<char>(high * 16 + low);
                i += 4;
                return true;
            }
            default:  // not an escape: the backslash is kept, the next character read as usual
                current_ += '\\';
                ++i;
                return true;
        }
    }

    // At a '$' inside double quotes; advances `i` past the reference.
    bool expand(std::size_t& i) {
        std::size_t j = i + 1;
        const bool braced = j < line_.size() && line_[j] == '{';
        if (braced) ++j;
        const std::size_t name_start = j;
        while (j < line_.size() && is_name_char(line_[j])) ++j;
        const std::string name(line_.substr(name_start, j - name_start));
        if (!braced) {
            if (name.empty()) {  // a lone '$' is a dollar sign
                current_ += '$';
                ++i;
                return true;
            }
            substitute(name, std::nullopt, false);
            i = j;
            return true;
        }
        bool split = false;
        std::optional<std::string> fallback;
        if (line_.substr(j).starts_with("[*]")) {
            split = true;
            j += 3;
        }
        if (j < line_.size() && line_[j] == '-') {
            const std::size_t close = line_.find('}', j);
            if (close == std::string_view::npos) {
                fail("\"${\" without a closing '}'");
                return false;
            }
            fallback = std::string(line_.substr(j + 1, close - j - 1));
            j = close;
        }
        if (j >= line_.size() || line_[j] != '}' || name.empty()) {
            fail("\"${\" must hold a variable name (letters, digits, '_') and end with '}'");
            return false;
        }
        substitute(name, fallback, split);
        i = j + 1;
        return true;
    }

    void substitute(const std::string& name, const std::optional<std::string>& fallback,
                    bool split) {
        std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
        if (!value) {
            if (fallback) {
                value = fallback;
            } else {
                out_.warning(number_, "environment variable " + name +
                                          " is not set: expanded to an empty string");
                value = std::string();
            }
        }
        if (!split) {
            current_ += *value;
            return;
        }
        // "${VAR[*]}": one word per blank-separated part of the value.
        bool first = true;
        std::size_t k = 0;
        while (k < value->size()) {
            while (k < value->size() && is_blank((*value)[k])) ++k;
            if (k >= value->size()) break;
            std::size_t end = k;
            while (end < value->size() && !is_blank((*value)[end])) ++end;
            if (!first) end_word();
            current_ += value->substr(k, end - k);
            in_word_ = true;
            first = false;
            k = end;
        }
    }

    std::string_view line_;
    int number_;
    const Environment& env_;
    ImportDiagnostics& out_;
    std::vector<std::string> words_;
    std::string current_;
    bool in_word_ = false;
};

}  // namespace

std::vector<Line> tokenize(std::string_view text, const Environment& env, ImportDiagnostics& out) {
    std::vector<Line> lines;
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        ++number;
        auto words = LineLexer(text.substr(start, end - start), number, env, out).run();
        if (words && !words->empty()) lines.push_back({number, std::move(*words)});
        start = end + 1;
    }
    return lines;
}

Environment empty_environment() {
    return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

}  // namespace lb::config::haproxy
