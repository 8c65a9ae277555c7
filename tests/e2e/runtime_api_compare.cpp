// compare_replies and its shape rules; see runtime_api_compare.h. Structured comparisons fall
// back to byte-for-byte when the reference's reply does not have the structure (an error text).
#include "tests/e2e/runtime_api_compare.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "tests/e2e/runtime_api_formats.h"

namespace lb::test::compat {
namespace {

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool fits(std::string_view kind, std::string_view value) {
    static const std::regex duration(R"([0-9]+d [0-9]+h[0-9]{2}m[0-9]{2}s)");
    static const std::regex date(R"([0-9]{4}/[0-9]{2}/[0-9]{2})");
    static const std::regex addr(R"([0-9.]+:[0-9]+|\[[0-9a-fA-F:]+\]:[0-9]+)");
    const std::string text(value);
    if (kind == "any") return true;
    if (kind == "text") return !value.empty();
    if (kind == "number" || kind == "bytes") return all_digits(value);
    if (kind == "int") return all_digits(value.starts_with('-') ? value.substr(1) : value);
    if (kind == "pid") return all_digits(value) && value.find_first_not_of('0') != value.npos;
    if (kind == "duration") return std::regex_match(text, duration);
    if (kind == "date") return std::regex_match(text, date);
    if (kind == "addr") return std::regex_match(text, addr);
    if (kind.starts_with("upto:"))
        return all_digits(value) && value.size() < 19 &&
               std::stoull(text) <= std::stoull(std::string(kind.substr(5)));
    return false;
}

std::string first_line(std::string_view text) {
    return std::string(text.substr(0, text.find('\n')));
}

// An excerpt of `text` around `offset`: from the start of its line, at most 100 bytes.
std::string excerpt(std::string_view text, std::size_t offset) {
    if (offset >= text.size()) return "<end of reply>";
    const std::size_t begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    const std::size_t from = begin == std::string_view::npos || offset == 0 ? 0 : begin + 1;
    std::string out = escape(text.substr(from, 100));
    if (from + 100 < text.size()) out += "...";
    return out;
}

std::vector<Mismatch> compare_exact(std::string_view reference, std::string_view candidate) {
    if (reference == candidate) return {};
    std::size_t at = 0;
    while (at < reference.size() && at < candidate.size() && reference[at] == candidate[at]) ++at;
    const auto line = 1 + std::count(reference.begin(), reference.begin() + at, '\n');
    return {{"bytes differ from line " + std::to_string(line), excerpt(reference, at),
             excerpt(candidate, at)}};
}

std::vector<Mismatch> compare_shape(const Comparison& comparison, std::string_view reference,
                                    std::string_view candidate) {
    std::vector<Mismatch> out;
    const std::regex line_form(comparison.lines);
    const auto check = [&](std::string_view reply, bool is_reference) {
        const Body body = body_of(reply);
        if (!body.terminated)
            out.push_back({"no empty line after the reply", is_reference ? "missing" : "",
                           is_reference ? "" : "missing"});
        int number = 0;
        for (const std::string& line : body.lines) {
            ++number;
            if (std::regex_search(line, line_form)) continue;
            out.push_back(
                {"line " + std::to_string(number) + " does not match /" + comparison.lines + "/",
                 is_reference ? escape(line) : "", is_reference ? "" : escape(line)});
            return;
        }
    };
    check(reference, true);
    check(candidate, false);
    return out;
}

// "  show stat [desc|json|...]*: report ..." → "show stat": the words before any argument.
std::string help_key(std::string_view line) {
    const auto colon = line.find(": ");
    std::istringstream spec{std::string(line.substr(0, colon))};
    std::string key;
    for (std::string word; spec >> word;) {
        if (word.starts_with('[') || word.starts_with('<') || word.starts_with('(')) break;
        key += (key.empty() ? "" : " ") + word;
    }
    return key;
}

std::multimap<std::string, std::string> help_lines(std::string_view reply) {
    std::multimap<std::string, std::string> out;
    for (const std::string& line : body_of(reply).lines)
        if (line.starts_with("  ") && line.find(": ") != std::string::npos)
            out.emplace(help_key(line), line);
    return out;
}

std::vector<Mismatch> compare_help(const Comparison& comparison, std::string_view reference,
                                   std::string_view candidate) {
    std::vector<Mismatch> out;
    if (first_line(reference) != first_line(candidate))
        out.push_back({"first line", escape(first_line(reference)), escape(first_line(candidate))});
    const auto ref = help_lines(reference);
    const auto cand = help_lines(candidate);
    const auto lines_of = [](const auto& lines, const std::string& key) {
        std::vector<std::string> found;
        for (auto [it, end] = lines.equal_range(key); it != end; ++it) found.push_back(it->second);
        return found;
    };
    for (const std::string& command : comparison.commands) {
        const auto want = lines_of(ref, command);
        const auto got = lines_of(cand, command);
        if (want.empty() || got.empty() || want != got)
            out.push_back({"help for '" + command + "'",
                           want.empty() ? "<none>" : escape(want.front()),
                           got.empty() ? "<none>" : escape(got.front())});
    }
    for (const auto& [key, line] : cand) {
        if (std::find(comparison.commands.begin(), comparison.commands.end(), key) !=
            comparison.commands.end())
            continue;  // reported above
        const auto want = lines_of(ref, key);
        if (!want.empty() && std::find(want.begin(), want.end(), line) == want.end())
            out.push_back({"help for '" + key + "'", escape(want.front()), escape(line)});
    }
    return out;
}

std::vector<Mismatch> compare_one(const Comparison& comparison, const ShapeRules& rules,
                                  std::string_view reference, std::string_view candidate) {
    const std::string& mode = comparison.mode;
    if (mode == "exact") return compare_exact(reference, candidate);
    if (mode == "first-line") {
        if (first_line(reference) == first_line(candidate)) return {};
        return {{"first line", escape(first_line(reference)), escape(first_line(candidate))}};
    }
    if (mode == "shape") return compare_shape(comparison, reference, candidate);
    if (mode == "present" || mode == "absent") {
        const bool ref = satisfies(comparison, reference);
        const bool cand = satisfies(comparison, candidate);
        if (ref && cand) return {};
        const std::string what = "/" + comparison.lines + "/ " + mode;
        return {{what, ref ? "yes" : "no: " + excerpt(reference, 0),
                 cand ? "yes" : "no: " + excerpt(candidate, 0)}};
    }
    if (mode == "help-lines") return compare_help(comparison, reference, candidate);
    std::optional<std::vector<Mismatch>> structured;
    if (mode == "csv-stat") structured = compare_csv_stat(rules, reference, candidate);
    if (mode == "key-value") structured = compare_key_values(rules, reference, candidate);
    if (mode == "typed") structured = compare_typed(rules, reference, candidate);
    if (mode == "json") structured = compare_json(rules, reference, candidate);
    if (mode == "table")
        structured =
            compare_table(comparison.header_lines, comparison.key, rules, reference, candidate);
    // nullopt: the reference's reply is not of that form (an error text): byte for byte.
    return structured ? std::move(*structured) : compare_exact(reference, candidate);
}

}  // namespace

ShapeRules::ShapeRules(const Script& script, const Comparison& comparison) {
    const auto add = [this](const std::string& rule) {
        const auto eq = rule.rfind('=');
        if (eq == std::string::npos) return;
        kinds_[rule.substr(0, eq)] = rule.substr(eq + 1);
    };
    for (const std::string& item : comparison.shapes) {
        if (item.find('=') != std::string::npos) {
            add(item);
        } else if (const auto set = script.shape_sets.find(item); set != script.shape_sets.end()) {
            for (const std::string& rule : set->second) add(rule);
        }
    }
}

std::string ShapeRules::kind(std::string_view row, std::string_view field) const {
    if (!row.empty()) {
        const std::string qualified = std::string(row) + "." + std::string(field);
        if (const auto it = kinds_.find(qualified); it != kinds_.end()) return it->second;
    }
    if (const auto it = kinds_.find(field); it != kinds_.end()) return it->second;
    return "";
}

bool is_known_kind(std::string_view kind) {
    static const std::set<std::string, std::less<>> kinds = {
        "any",  "text", "number",       "int",         "pid",          "bytes",        "duration",
        "date", "addr", "check-status", "check-state", "check-result", "server-status"};
    return kinds.contains(kind) || (kind.starts_with("upto:") && all_digits(kind.substr(5)));
}

bool values_agree(std::string_view kind, std::string_view reference, std::string_view candidate) {
    if (reference == candidate) return true;  // an empty cell where both leave it empty, too
    if (kind.empty()) return false;
    // A health check running as the reply is made: HAProxy marks it, then compares as usual.
    if (kind == "check-status") {
        const auto done = [](std::string_view v) { return v.starts_with("* ") ? v.substr(2) : v; };
        return done(reference) == done(candidate);
    }
    if (kind == "check-state")
        return all_digits(reference) && all_digits(candidate) && reference.size() < 9 &&
               candidate.size() < 9 &&
               (std::stoul(std::string(reference)) | 1U) ==
                   (std::stoul(std::string(candidate)) | 1U);
    if (kind == "check-result") return reference == "0" || candidate == "0";
    if (kind == "server-status") {
        static const std::regex progress(R"( [0-9]+/[0-9]+$)");
        return std::regex_replace(std::string(reference), progress, "") ==
               std::regex_replace(std::string(candidate), progress, "");
    }
    if (!fits(kind, reference) || !fits(kind, candidate)) return false;
    if (kind == "addr")
        return reference.substr(0, reference.rfind(':')) ==
               candidate.substr(0, candidate.rfind(':'));
    return true;
}

bool satisfies(const Comparison& comparison, std::string_view reply) {
    const std::regex pattern(comparison.lines, std::regex::ECMAScript | std::regex::multiline);
    const bool found = std::regex_search(std::string(reply), pattern);
    return comparison.mode == "absent" ? !found : found;
}

std::vector<std::string> split_replies(std::string_view reply) {
    std::vector<std::string> out;
    std::string current;
    std::size_t at = 0;
    while (at < reply.size()) {
        const auto end = reply.find('\n', at);
        const std::string_view line =
            reply.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at + 1);
        current += line;
        at += line.size();
        if (line == "\n") out.push_back(std::exchange(current, {}));
    }
    if (!current.empty()) out.push_back(current);
    return out;
}

std::vector<Mismatch> compare_replies(const Comparison& comparison, const ShapeRules& rules,
                                      std::string_view reference, std::string_view candidate) {
    if (!comparison.per_reply) return compare_one(comparison, rules, reference, candidate);
    const auto refs = split_replies(reference);
    const auto cands = split_replies(candidate);
    std::vector<Mismatch> out;
    if (refs.size() != cands.size())
        out.push_back(
            {"number of replies", std::to_string(refs.size()), std::to_string(cands.size())});
    for (std::size_t i = 0; i < std::min(refs.size(), cands.size()); ++i)
        for (Mismatch m : compare_one(comparison, rules, refs[i], cands[i])) {
            m.field = "reply " + std::to_string(i + 1) + ": " + m.field;
            out.push_back(std::move(m));
        }
    return out;
}

}  // namespace lb::test::compat
