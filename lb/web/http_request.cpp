// Request-head syntax of RFC 9112: request-line = method SP request-target SP HTTP-version, then
// field lines, then an empty line. A partial line is checked as far as it goes.
#include "lb/web/http_request.h"

#include <optional>

namespace lb::web {

namespace {

using Verdict = RequestParse::Verdict;

// tchar of RFC 9110 §5.6.2: the characters of a method or a field name.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A line without its LF; a CR may only be its last byte (bare CRs smuggle requests).
std::optional<std::string_view> strip_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return std::nullopt;
    return line;
}

// Checks a request line, or the prefix of one when `complete` is false. On a complete, valid
// line, fills `head` (method, target in `path`, version).
Verdict check_request_line(std::string_view line, bool complete, RequestHead& head) {
    const auto space = line.find(' ');
    const std::string_view method = line.substr(0, space);
    for (const char c : method)
        if (!is_tchar(c)) return Verdict::BadRequest;
    if (space == std::string_view::npos)
        return complete ? Verdict::BadRequest : Verdict::Incomplete;
    if (method.empty()) return Verdict::BadRequest;

    const std::string_view rest = line.substr(space + 1);
    const auto second = rest.find(' ');
    const std::string_view target = rest.substr(0, second);
    for (const char c : target)
        if (c < 0x21 || c > 0x7E) return Verdict::BadRequest;
    if (second == std::string_view::npos)
        return complete ? Verdict::BadRequest : Verdict::Incomplete;
    if (target.empty()) return Verdict::BadRequest;

    // HTTP-version = "HTTP/" DIGIT "." DIGIT, matched position by position so a prefix passes.
    const std::string_view version = rest.substr(second + 1);
    constexpr std::string_view kPattern = "HTTP/0.0";  // '0' stands for any digit
    if (version.size() > kPattern.size()) return Verdict::BadRequest;
    for (std::size_t i = 0; i < version.size(); ++i) {
        const bool ok = kPattern[i] == '0' ? is_digit(version[i]) : version[i] == kPattern[i];
        if (!ok) return Verdict::BadRequest;
    }
    if (!complete) return Verdict::Incomplete;
    if (version.size() != kPattern.size()) return Verdict::BadRequest;
    if (version[5] != '1') return Verdict::VersionUnsupported;

    head.method = std::string(method);
    head.path = std::string(target);
    head.minor_version = version[7] - '0';
    return Verdict::Complete;
}

// Checks a field line (or its prefix): name token, colon, value without control characters.
bool valid_field_line(std::string_view line, bool complete) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) return false;  // obs-fold
    const auto colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    for (const char c : name)
        if (!is_tchar(c)) return false;
    if (colon == std::string_view::npos) return !complete;
    if (name.empty()) return false;
    for (const char c : line.substr(colon + 1)) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return false;
    }
    return true;
}

// "/a?b" → "/a"; "http://host:9100/metrics" → "/metrics"; anything else is kept (it will 404).
std::string route_path(std::string_view target) {
    auto lower_prefix = [&](std::string_view prefix) {
        if (target.size() < prefix.size()) return false;
        for (std::size_t i = 0; i < prefix.size(); ++i)
            if ((target[i] | 0x20) != prefix[i]) return false;
        return true;
    };
    for (const std::string_view scheme :
         {std::string_view("http://"), std::string_view("https://")}) {
        if (lower_prefix(scheme)) {
            target.remove_prefix(scheme.size());
            const auto slash = target.find('/');
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
            break;
        }
    }
    if (target.starts_with('/')) target = target.substr(0, target.find_first_of("?#"));
    return std::string(target);
}

}  // namespace

RequestParse parse_request_head(std::string_view received) {
    RequestParse result;
    std::size_t pos = 0;
    bool have_request_line = false;
    while (pos <= received.size()) {
        const auto newline = received.find('\n', pos);
        const bool complete = newline != std::string_view::npos;
        const std::string_view raw =
            received.substr(pos, complete ? newline - pos : std::string_view::npos);
        const auto line = strip_cr(raw);
        if (!line) {
            result.verdict = Verdict::BadRequest;
            return result;
        }
        if (!have_request_line) {
            if (line->empty()) {  // RFC 9112 §2.2: skip empty lines before the request line
                if (!complete) return result;
                pos = newline + 1;
                continue;
            }
            const Verdict verdict = check_request_line(*line, complete, result.head);
            if (verdict != Verdict::Complete) {
                result.verdict = verdict;
                return result;
            }
            have_request_line = true;
        } else if (line->empty() && complete) {
            result.head.path = route_path(result.head.path);
            result.verdict = Verdict::Complete;
            result.consumed = newline + 1;
            return result;
        } else if (!valid_field_line(*line, complete)) {
            result.verdict = Verdict::BadRequest;
            return result;
        }
        if (!complete) return result;
        pos = newline + 1;
    }
    return result;
}

}  // namespace lb::web
