#include "config/haproxy/health_check_directives.h"

#include <algorithm>
#include <regex>
#include <string>
#include <string_view>

#include "config/haproxy/directive_words.h"
#include "health/status_ranges.h"

namespace lb::config::haproxy {
namespace {

// The status codes (100..599) a HAProxy `rstatus` regex accepts, in lb's expect_status grammar;
// "" when none does or the regex is unusable.
std::string status_codes_matching(const std::string& pattern) {
    if (pattern.empty() || pattern.size() > 64) return {};
    std::regex regex;
    try {
        regex = std::regex(pattern, std::regex::ECMAScript | std::regex::nosubs);
    } catch (const std::regex_error&) {
        return {};
    }
    std::string out;
    int run_start = -1;
    const auto close_run = [&](int last) {
        if (run_start < 0) return;
        if (!out.empty()) out += ',';
        out += std::to_string(run_start);
        if (last != run_start) out += "-" + std::to_string(last);
        run_start = -1;
    };
    for (int code = 100; code <= 599; ++code) {
        bool match = false;
        try {
            match = std::regex_search(std::to_string(code), regex);
        } catch (const std::regex_error&) {
            return {};
        }
        if (match && run_start < 0) run_start = code;
        if (!match) close_run(code - 1);
    }
    close_run(599);
    return out;
}

bool has_regex_metacharacters(std::string_view text) {
    return text.find_first_of("^$.[]()*+?{}|\\") != std::string_view::npos;
}

void method_note(int line, std::string_view method, ImportDiagnostics& out) {
    if (method != "GET" && method != "OPTIONS" && method != "HEAD")
        out.warning(line,
                    "health check method " + std::string(method) + ": lb's HTTP checks send GET");
}

void header(const Directive& d, std::string_view line, HealthCheck& check, ImportDiagnostics& out) {
    if (line.empty()) return;
    const auto colon = line.find(':');
    std::string name(line.substr(0, colon));
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    if (lower == "host")
        check.host = std::string(value);
    else
        out.warning(d.line, "health check header " + quoted(name) +
                                ": lb's HTTP checks send only Host; ignored");
}

}  // namespace

// option httpchk [[METHOD] URI [VERSION]]; VERSION may carry "\r\n"-separated headers.
void read_option_httpchk(const Directive& d, HealthCheck& into, ImportDiagnostics& out) {
    HealthCheck check;
    check.type = CheckType::Http;
    check.line = d.line;
    const std::size_t args = d.words.size() - 2;
    if (args == 1) {
        check.uri = d.words[2];
    } else if (args >= 2) {
        check.method = d.words[2];
        check.uri = d.words[3];
    }
    if (args >= 3) {
        std::string_view rest = d.words[4];
        const auto first = rest.find("\r\n");
        rest = first == std::string_view::npos ? std::string_view() : rest.substr(first + 2);
        while (!rest.empty()) {
            const auto end = rest.find("\r\n");
            header(d, rest.substr(0, end), check, out);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
        }
    }
    if (args > 3)
        out.warning(d.line,
                    "option httpchk: words after the version are not HAProxy's "
                    "syntax; ignored");
    // The expectation set by http-check expect stays (it may come before or after).
    check.expect_status = into.expect_status;
    check.expect_body = into.expect_body;
    into = std::move(check);
    method_note(d.line, into.method, out);
}

// http-check send [meth M] [uri U] [ver V] [hdr NAME VALUE]... [body B]
void read_http_check_send(const Directive& d, HealthCheck& check, ImportDiagnostics& out) {
    if (check.type != CheckType::Http)
        out.warning(d.line,
                    "http-check send without option httpchk: HAProxy does not "
                    "send it; lb uses it for an HTTP check");
    if (check.type != CheckType::Http) {
        check.type = CheckType::Http;
        check.line = d.line;
    }
    for (std::size_t i = 2; i < d.words.size(); ++i) {
        const std::string& key = d.words[i];
        const bool has_value = i + 1 < d.words.size();
        if (key == "meth" && has_value) {
            check.method = d.words[++i];
            method_note(d.line, check.method, out);
        } else if (key == "uri" && has_value) {
            check.uri = d.words[++i];
        } else if (key == "ver" && has_value) {
            ++i;
        } else if (key == "hdr" && i + 2 < d.words.size()) {
            header(d, d.words[i + 1] + ": " + d.words[i + 2], check, out);
            i += 2;
        } else if ((key == "body" || key == "uri-lf" || key == "body-lf") && has_value) {
            out.warning(d.line, "http-check send " + key +
                                    ": lb's HTTP checks send no body and a fixed path; "
                                    "ignored");
            ++i;
        } else {
            out.warning(d.line, "http-check send " + quoted(key) + ": not understood; ignored");
        }
    }
}

// http-check expect [options] [!] MATCH PATTERN
void read_http_check_expect(const Directive& d, HealthCheck& check, ImportDiagnostics& out) {
    std::size_t i = 2;
    while (i + 1 < d.words.size() &&
           (d.words[i] == "min-recv" || d.words[i] == "comment" || d.words[i] == "ok-status" ||
            d.words[i] == "error-status" || d.words[i] == "tout-status" ||
            d.words[i] == "on-success" || d.words[i] == "on-error" || d.words[i] == "status-code"))
        i += 2;
    if (i < d.words.size() && d.words[i] == "!") {
        out.warning(d.line, quoted(d.text()) + ": lb cannot negate an expectation; ignored");
        return;
    }
    const std::string_view match = d.word(i);
    const std::string_view pattern = d.word(i + 1);
    if (pattern.empty() && match != "status") {
        out.warning(d.line, quoted(d.text()) + ": incomplete; ignored");
        return;
    }
    if (check.expect_status || check.expect_body) {
        out.warning(d.line, quoted(d.text()) +
                                ": lb checks one expectation per site; the first one is "
                                "kept, this one ignored");
        return;
    }
    if (match == "status") {
        if (health::StatusRanges::parse(pattern))
            check.expect_status = Located<std::string>{std::string(pattern), d.line};
        else
            out.warning(d.line,
                        quoted(d.text()) + ": not a list of status codes lb can read; ignored");
    } else if (match == "rstatus") {
        const std::string codes = status_codes_matching(std::string(pattern));
        if (codes.empty())
            out.warning(d.line, quoted(d.text()) +
                                    ": the regex matches no status code lb can list; "
                                    "ignored");
        else
            check.expect_status = Located<std::string>{codes, d.line};
    } else if (match == "string") {
        check.expect_body = Located<std::string>{std::string(pattern), d.line};
    } else if (match == "rstring" && !has_regex_metacharacters(pattern)) {
        check.expect_body = Located<std::string>{std::string(pattern), d.line};
    } else {
        out.warning(d.line, quoted(d.text()) +
                                ": lb expects a status list or a substring of the body; "
                                "ignored");
    }
}

}  // namespace lb::config::haproxy
