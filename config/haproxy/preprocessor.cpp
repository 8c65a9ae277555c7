#include "config/haproxy/preprocessor.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace lb::config::haproxy {
namespace {

// What conditions on the file's HAProxy are evaluated against: Debian 12's haproxy package
// (`haproxy -vv`: version, "Feature list" with '+', the TLS library it runs on).
constexpr std::string_view kReferenceVersion = "2.6.12";
constexpr std::string_view kReferenceOpenssl = "3.0.22";
constexpr std::string_view kReferenceSslLibrary = "OpenSSL";
constexpr std::string_view kReferenceFeatures[] = {
    "ACCEPT4",  "BACKTRACE",    "CPU_AFFINITY", "CRYPT_H", "DL",          "EPOLL",  "GETADDRINFO",
    "LIBCRYPT", "LINUX_SPLICE", "LINUX_TPROXY", "LUA",     "NETFILTER",   "NS",     "OPENSSL",
    "OT",       "PCRE2",        "PCRE2_JIT",    "POLL",    "PRCTL",       "PROMEX", "RT",
    "SLZ",      "SYSTEMD",      "TFO",          "THREAD",  "THREAD_DUMP", "TPROXY"};
constexpr std::string_view kReferenceName = "Debian 12's HAProxy 2.6.12 (OpenSSL 3.0.22)";

// "2.6.12", "2.4-dev3" → {2, 6, 12}, {2, 4}: numbers up to the first character that is neither
// a digit nor '.'.
std::vector<long> version_parts(std::string_view text) {
    std::vector<long> parts;
    long value = -1;
    for (const char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            value = (value < 0 ? 0 : value * 10) + (c - '0');
            if (value > 1'000'000) return parts;
        } else if (c == '.') {
            parts.push_back(std::max(value, 0L));
            value = -1;
        } else {
            break;
        }
    }
    if (value >= 0) parts.push_back(value);
    return parts;
}

// <0, 0, >0 as `a` is older than, the same as, newer than `b` (missing parts count as 0).
int compare_versions(std::string_view a, std::string_view b) {
    const auto x = version_parts(a);
    const auto y = version_parts(b);
    for (std::size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
        const long p = i < x.size() ? x[i] : 0;
        const long q = i < y.size() ? y[i] : 0;
        if (p != q) return p < q ? -1 : 1;
    }
    return 0;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// A recursive-descent reading of one condition:
//   or := and ('||' and)*    and := unary ('&&' unary)*
//   unary := '!' unary | '(' or ')' | number | predicate '(' args ')'
class ConditionParser {
public:
    ConditionParser(std::string_view text, const Environment& env) : text_(text), env_(env) {}

    // The value, or nullopt with error() saying why.
    std::optional<bool> parse() {
        const auto value = parse_or();
        if (!value) return std::nullopt;
        skip_blanks();
        if (pos_ != text_.size())
            return fail("unexpected '" + std::string(text_.substr(pos_)) + "'");
        return value;
    }
    [[nodiscard]] const std::string& error() const { return error_; }
    // The predicates that asked about the file's HAProxy, for the warning.
    [[nodiscard]] const std::vector<std::string>& assumed() const { return assumed_; }

private:
    std::optional<bool> fail(std::string why) {
        if (error_.empty()) error_ = std::move(why);
        return std::nullopt;
    }
    void skip_blanks() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }
    bool take(std::string_view token) {
        skip_blanks();
        if (text_.substr(pos_).starts_with(token)) {
            pos_ += token.size();
            return true;
        }
        return false;
    }

    std::optional<bool> parse_or() {
        auto value = parse_and();
        while (value && take("||")) {
            const auto right = parse_and();
            if (!right) return std::nullopt;
            value = *value || *right;
        }
        return value;
    }
    std::optional<bool> parse_and() {
        auto value = parse_unary();
        while (value && take("&&")) {
            const auto right = parse_unary();
            if (!right) return std::nullopt;
            value = *value && *right;
        }
        return value;
    }
    std::optional<bool> parse_unary() {
        if (++depth_ > 64) return fail("too deeply nested");
        std::optional<bool> value;
        if (take("!")) {
            value = parse_unary();
            if (value) value = !*value;
        } else if (take("(")) {
            value = parse_or();
            if (value && !take(")")) value = fail("missing ')'");
        } else {
            value = parse_term();
        }
        --depth_;
        return value;
    }
    std::optional<bool> parse_term() {
        skip_blanks();
        const std::size_t start = pos_;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
            ++pos_;
        const std::string_view word = text_.substr(start, pos_ - start);
        if (word.empty()) return fail("a term is missing");
        if (std::all_of(word.begin(), word.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return std::any_of(word.begin(), word.end(), [](char c) { return c != '0'; });
        if (pos_ >= text_.size() || text_[pos_] != '(')
            return fail("unknown term '" + std::string(word) + "'");
        const std::size_t close = text_.find(')', pos_);
        if (close == std::string_view::npos) return fail("missing ')'");
        std::vector<std::string_view> args;
        for (std::string_view rest = text_.substr(pos_ + 1, close - pos_ - 1);;) {
            const auto comma = rest.find(',');
            args.push_back(trim(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        pos_ = close + 1;
        return predicate(word, args);
    }

    std::optional<bool> predicate(std::string_view name,
                                  const std::vector<std::string_view>& args) {
        const auto arity = [&](std::size_t n) -> bool {
            if (args.size() == n) return true;
            (void)fail(std::string(name) + "() takes " + std::to_string(n) + " argument" +
                       (n == 1 ? "" : "s"));
            return false;
        };
        const std::string call = std::string(name) + "(" + join(args) + ")";
        if (name == "defined") {
            if (!arity(1)) return std::nullopt;
            return env_(args[0]).has_value();
        }
        if (name == "streq" || name == "strneq") {
            if (!arity(2)) return std::nullopt;
            return (args[0] == args[1]) == (name == "streq");
        }
        if (name == "feature") {
            if (!arity(1)) return std::nullopt;
            assumed_.push_back(call);
            return std::find(std::begin(kReferenceFeatures), std::end(kReferenceFeatures),
                             args[0]) != std::end(kReferenceFeatures);
        }
        if (name == "version_atleast" || name == "version_before") {
            if (!arity(1)) return std::nullopt;
            assumed_.push_back(call);
            const bool at_least = compare_versions(kReferenceVersion, args[0]) >= 0;
            return name == "version_atleast" ? at_least : !at_least;
        }
        if (name == "openssl_version_atleast" || name == "openssl_version_before") {
            if (!arity(1)) return std::nullopt;
            assumed_.push_back(call);
            const bool at_least = compare_versions(kReferenceOpenssl, args[0]) >= 0;
            return name == "openssl_version_atleast" ? at_least : !at_least;
        }
        if (name == "ssllib_name_startswith") {
            if (!arity(1)) return std::nullopt;
            assumed_.push_back(call);
            return kReferenceSslLibrary.starts_with(args[0]);
        }
        return fail("unknown predicate '" + std::string(name) + "'");
    }

    static std::string join(const std::vector<std::string_view>& args) {
        std::string out;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (i > 0) out += ',';
            out += args[i];
        }
        return out;
    }

    std::string_view text_;
    const Environment& env_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    std::string error_;
    std::vector<std::string> assumed_;
};

std::string joined(const std::vector<std::string>& words, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < words.size(); ++i) {
        if (i > from) out += ' ';
        out += words[i];
    }
    return out;
}

}  // namespace

bool Preprocessor::evaluate(std::string_view condition, int line) {
    ConditionParser parser(condition, env_);
    const auto value = parser.parse();
    if (!value) {
        out_.error(line, "unparsable condition '" + std::string(condition) +
                             "': " + parser.error() + "; HAProxy refuses the file");
        return false;
    }
    if (!parser.assumed().empty()) {
        std::string list;
        for (const auto& call : parser.assumed()) list += (list.empty() ? "" : ", ") + call;
        out_.warning(line, "condition '" + std::string(condition) + "' asks about the HAProxy " +
                               "the file is for (" + list + "); evaluated as " +
                               std::string(kReferenceName) + ": " + (*value ? "true" : "false"));
    }
    return *value;
}

bool Preprocessor::keep(const Line& line) {
    const std::string& keyword = line.words.front();
    if (!keyword.starts_with('.')) return active();
    const std::string rest = joined(line.words, 1);
    if (keyword == ".if") {
        Block block;
        block.line = line.number;
        block.outer_active = active();
        if (rest.empty()) {
            out_.error(line.number, "'.if' without a condition; HAProxy refuses the file");
        } else if (block.outer_active) {
            // Conditions inside a dropped block are not evaluated (HAProxy skips them too).
            block.active = evaluate(rest, line.number);
            block.taken = block.active;
        }
        blocks_.push_back(block);
    } else if (keyword == ".elif" || keyword == ".else") {
        if (blocks_.empty() || blocks_.back().seen_else) {
            out_.error(line.number, "'" + keyword + "' without an open '.if'" +
                                        (blocks_.empty() ? "" : " (after its '.else')") +
                                        "; HAProxy refuses the file");
            return false;
        }
        Block& block = blocks_.back();
        if (keyword == ".else") {
            block.seen_else = true;
            block.active = block.outer_active && !block.taken;
        } else if (rest.empty()) {
            out_.error(line.number, "'.elif' without a condition; HAProxy refuses the file");
            block.active = false;
        } else {
            block.active = block.outer_active && !block.taken && evaluate(rest, line.number);
        }
        block.taken = block.taken || block.active;
    } else if (keyword == ".endif") {
        if (blocks_.empty())
            out_.error(line.number, "'.endif' without an open '.if'; HAProxy refuses the file");
        else
            blocks_.pop_back();
    } else if (!active()) {
        return false;  // messages in a dropped block are not printed
    } else if (keyword == ".alert") {
        out_.error(line.number, "'.alert " + rest + "': HAProxy stops on it and refuses the file");
    } else if (keyword == ".notice" || keyword == ".warning" || keyword == ".diag") {
        out_.warning(line.number, "HAProxy prints '" + rest + "' (" + keyword + ")");
    } else {
        out_.error(line.number,
                   "unknown preprocessor line '" + keyword + "'; HAProxy refuses the file");
    }
    return false;
}

void Preprocessor::finish(int last_line) {
    for (const Block& block : blocks_)
        out_.error(block.line, "'.if' without its '.endif' (the file ends at line " +
                                   std::to_string(last_line) + "); HAProxy refuses the file");
    blocks_.clear();
}

}  // namespace lb::config::haproxy
