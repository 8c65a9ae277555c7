// Line by line: comments (# HELP, # TYPE), then samples `name{label="value",...} value [ts]`.
#include "tests/support/exposition_reader.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace lb::test {

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, without colons, a label name.
std::string_view take_name(std::string_view& rest, bool colons) {
    std::size_t n = 0;
    while (n < rest.size() &&
           ((n == 0 ? name_start(rest[n]) : name_char(rest[n])) || (colons && rest[n] == ':')))
        ++n;
    const std::string_view name = rest.substr(0, n);
    rest.remove_prefix(n);
    return name;
}

std::optional<double> parse_value(std::string_view text) {
    if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
    if (text == "-Inf") return -std::numeric_limits<double>::infinity();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

bool failed(std::string& error, std::string what) {
    error = std::move(what);
    return false;
}

// `{a="1",b="x\"y"}` at the start of `rest`; consumes it.
bool parse_labels(std::string_view& rest, Labels& labels, std::string& error) {
    rest.remove_prefix(1);  // '{'
    for (;;) {
        if (!rest.empty() && rest.front() == '}') {
            rest.remove_prefix(1);
            return true;
        }
        const std::string name(take_name(rest, false));
        if (name.empty()) return failed(error, "bad label name");
        if (rest.size() < 2 || rest[0] != '=' || rest[1] != '"')
            return failed(error, "expected =\"");
        rest.remove_prefix(2);
        std::string value;
        for (;;) {
            if (rest.empty()) return failed(error, "unterminated label value");
            const char c = rest.front();
            rest.remove_prefix(1);
            if (c == '"') break;
            if (c == '\\') {
                if (rest.empty()) return failed(error, "unterminated escape");
                const char e = rest.front();
                rest.remove_prefix(1);
                if (e == 'n')
                    value += '\n';
                else if (e == '\\' || e == '"')
                    value += e;
                else
                    return failed(error, "bad escape in a label value");
            } else {
                value += c;
            }
        }
        if (!labels.emplace(name, value).second) return failed(error, "repeated label " + name);
        if (!rest.empty() && rest.front() == ',')
            rest.remove_prefix(1);
        else if (rest.empty() || rest.front() != '}')
            return failed(error, "expected , or }");
    }
}

}  // namespace

std::optional<double> Exposition::value(std::string_view name, const Labels& labels) const {
    for (const Sample& sample : samples)
        if (sample.name == name && sample.labels == labels) return sample.value;
    return std::nullopt;
}

std::vector<Sample> Exposition::all(std::string_view name) const {
    std::vector<Sample> found;
    for (const Sample& sample : samples)
        if (sample.name == name) found.push_back(sample);
    return found;
}

std::optional<std::string> Exposition::type(std::string_view family) const {
    const auto found = types.find(std::string(family));
    if (found == types.end()) return std::nullopt;
    return found->second;
}

ExpositionParse parse_exposition(std::string_view text) {
    ExpositionParse result;
    Exposition out;
    std::size_t line_number = 0;
    auto fail = [&](const std::string& what) {
        result.error = "line " + std::to_string(line_number) + ": " + what;
        return result;
    };
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        if (newline == std::string_view::npos) return fail("last line without a newline");
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline + 1);
        if (line.empty()) continue;
        if (line.front() == '#') {
            for (const std::string_view keyword : {"# HELP ", "# TYPE "}) {
                if (!line.starts_with(keyword)) continue;
                std::string_view rest = line.substr(keyword.size());
                const std::string name(take_name(rest, true));
                if (name.empty() || (!rest.empty() && rest.front() != ' '))
                    return fail("bad metric name in a comment");
                const std::string tail(rest.empty() ? rest : rest.substr(1));
                if (keyword == "# HELP ") {
                    out.help[name] = tail;
                } else {
                    if (tail != "counter" && tail != "gauge" && tail != "histogram" &&
                        tail != "summary" && tail != "untyped")
                        return fail("unknown type " + tail);
                    if (!out.types.emplace(name, tail).second)
                        return fail("second TYPE of " + name);
                }
            }
            continue;
        }
        Sample sample;
        std::string_view rest = line;
        sample.name = std::string(take_name(rest, true));
        if (sample.name.empty()) return fail("bad metric name");
        std::string error;
        if (!rest.empty() && rest.front() == '{' && !parse_labels(rest, sample.labels, error))
            return fail(error);
        if (rest.empty() || rest.front() != ' ') return fail("expected a space before the value");
        rest.remove_prefix(1);
        const std::string_view value_text = rest.substr(0, rest.find(' '));
        const auto value = parse_value(value_text);
        if (!value) return fail("bad value " + std::string(value_text));
        sample.value = *value;
        // The family: the name itself, or the name without a histogram/summary/counter suffix.
        bool typed = out.types.contains(sample.name);
        for (const std::string_view suffix : {"_bucket", "_sum", "_count", "_total"})
            if (!typed && sample.name.ends_with(suffix))
                typed =
                    out.types.contains(sample.name.substr(0, sample.name.size() - suffix.size()));
        if (!typed) return fail("sample " + sample.name + " before its # TYPE");
        out.samples.push_back(std::move(sample));
    }
    result.exposition = std::move(out);
    return result;
}

}  // namespace lb::test
