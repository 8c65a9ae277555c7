// load_script: a line-oriented reader of tests/data/haproxy_runtime_api.txt. Every problem is
// reported with its line number, all at once.
#include "tests/e2e/runtime_api_script.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/e2e/runtime_api_compare.h"

namespace lb::test::compat {
namespace {

std::string trim(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos) return "";
    const auto end = text.find_last_not_of(" \t");
    return std::string(text.substr(begin, end - begin + 1));
}

std::vector<std::string> split_list(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in{std::string(text)};
    while (std::getline(in, item, separator))
        if (const std::string word = trim(item); !word.empty()) out.push_back(word);
    return out;
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

const std::vector<std::string> kModes = {"exact",      "first-line", "csv-stat", "key-value",
                                         "typed",      "json",       "table",    "shape",
                                         "help-lines", "present",    "absent"};

// "300ms" or "3s"; nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_time(const std::string& text) {
    const auto digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string::npos) return std::nullopt;
    const long long value = std::stoll(text.substr(0, digits));
    if (text.substr(digits) == "ms") return std::chrono::milliseconds(value);
    if (text.substr(digits) == "s") return std::chrono::milliseconds(value * 1000);
    return std::nullopt;
}

}  // namespace

std::string unescape(std::string_view text, std::string& error) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (++i == text.size()) {
            error = "a lone '\\' at the end";
            return out;
        }
        switch (text[i]) {
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case '\\':
                out += '\\';
                break;
            case 'x': {
                const std::string hex(text.substr(i + 1, 2));
                if (hex.size() != 2 || !std::isxdigit(static_cast<unsigned char>(hex[0])) ||
                    !std::isxdigit(static_cast<unsigned char>(hex[1]))) {
                    error = "\\x needs two hex digits";
                    return out;
                }
                out += static_cast<char>(std::stoi(hex, nullptr, 16));
                i += 2;
                break;
            }
            default:
                error = std::string("unknown escape \\") + text[i];
                return out;
        }
    }
    return out;
}

std::string escape(std::string_view bytes) {
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (byte < 0x20 || byte >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

Script load_script(const std::filesystem::path& path) {
    Script script;
    std::ifstream in(path);
    if (!in) {
        script.errors.push_back("cannot read " + path.string());
        return script;
    }
    auto fail = [&](int line, const std::string& message) {
        script.errors.push_back(std::to_string(line) + ": " + message);
    };
    Entry* entry = nullptr;
    int number = 0;
    for (std::string raw; std::getline(in, raw);) {
        ++number;
        const std::string line = trim(raw);
        if (line.empty() || line.starts_with('#')) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            fail(number, "expected 'key: value'");
            continue;
        }
        const std::string key = trim(std::string_view(line).substr(0, colon));
        const std::string value = trim(std::string_view(line).substr(colon + 1));

        if (key.starts_with("shape ")) {  // shape SET: FIELD=KIND, ...
            const std::string set = trim(std::string_view(key).substr(6));
            for (const std::string& rule : split_list(value, ','))
                script.shape_sets[set].push_back(rule);
            continue;
        }
        if (key == "entry") {
            if (value.empty()) fail(number, "entry needs a name");
            script.entries.push_back(Entry{value, number, Mode::OneShot, {}, {}});
            entry = &script.entries.back();
            continue;
        }
        if (entry == nullptr) {
            fail(number, "'" + key + "' before the first entry");
            continue;
        }
        Step* step = entry->steps.empty() ? nullptr : &entry->steps.back();
        if (key == "mode") {
            const auto w = words(value);
            if (w.size() == 1 && w[0] == "one-shot") {
                entry->mode = Mode::OneShot;
            } else if (w.size() == 1 && w[0] == "session") {
                entry->mode = Mode::Session;
            } else if (w.size() == 2 && (w[0] == "pause" || w[0] == "poll") && parse_time(w[1])) {
                entry->mode = w[0] == "pause" ? Mode::Pause : Mode::Poll;
                entry->pause = *parse_time(w[1]);
            } else {
                fail(number, "mode is one-shot, session, 'pause TIME' or 'poll TIME' (300ms, 3s)");
            }
        } else if (key == "send") {
            std::string error;
            // The value keeps inner spaces; leading and trailing ones need \x20.
            std::string bytes = unescape(value, error);
            if (!error.empty()) fail(number, error);
            entry->steps.push_back(Step{std::move(bytes), {}, false});
        } else if (step == nullptr) {
            fail(number, "'" + key + "' before the entry's first send");
        } else if (key == "compare") {
            const auto w = words(value);
            if (w.empty() || std::find(kModes.begin(), kModes.end(), w[0]) == kModes.end()) {
                fail(number, "unknown comparison '" + value + "'");
                continue;
            }
            step->comparison.mode = w[0];
            step->compared = true;
            for (std::size_t i = 1; i < w.size(); ++i) {
                if (w[i] == "per-reply")
                    step->comparison.per_reply = true;
                else
                    fail(number, "unknown option '" + w[i] + "'");
            }
        } else if (key == "shape") {
            for (const std::string& rule : split_list(value, ','))
                step->comparison.shapes.push_back(rule);
        } else if (key == "lines") {
            try {
                (void)std::regex(value);
            } catch (const std::regex_error& e) {
                fail(number, std::string("bad regular expression: ") + e.what());
            }
            step->comparison.lines = value;
        } else if (key == "commands") {
            step->comparison.commands = split_list(value, ',');
        } else if (key == "key") {
            step->comparison.key = words(value);
        } else if (key == "header-lines") {
            if (value.empty() || value.size() > 2 ||
                value.find_first_not_of("0123456789") != std::string::npos)
                fail(number, "header-lines is a small number");
            else
                step->comparison.header_lines = std::stoi(value);
        } else {
            fail(number, "unknown key '" + key + "'");
        }
    }
    for (const Entry& e : script.entries) {
        const std::string where = std::to_string(e.line) + ": entry '" + e.name + "': ";
        std::size_t compared = 0;
        for (const Step& s : e.steps) compared += s.compared ? 1 : 0;
        if (e.steps.empty()) script.errors.push_back(where + "nothing to send");
        if ((e.mode == Mode::OneShot || e.mode == Mode::Poll) && e.steps.size() > 1)
            script.errors.push_back(where + "one-shot and poll send once (use pause or session)");
        if (e.mode == Mode::Poll && !e.steps.empty() && e.steps[0].comparison.mode != "present" &&
            e.steps[0].comparison.mode != "absent")
            script.errors.push_back(where + "poll compares with present or absent");
        for (const Step& s : e.steps)
            if ((s.comparison.mode == "present" || s.comparison.mode == "absent" ||
                 s.comparison.mode == "shape") &&
                s.comparison.lines.empty())
                script.errors.push_back(where + s.comparison.mode + " needs lines: REGEX");
        if (e.mode == Mode::Session && compared != e.steps.size())
            script.errors.push_back(where + "every step of a session needs its compare");
        if (e.mode != Mode::Session && compared != 1)
            script.errors.push_back(where + "needs exactly one compare");
        for (const Step& s : e.steps)
            for (const std::string& rule : s.comparison.shapes)
                if (rule.find('=') == std::string::npos && !script.shape_sets.contains(rule))
                    script.errors.push_back(where + "unknown shape set '" + rule + "'");
    }
    for (const auto& [set, rules] : script.shape_sets)
        for (const std::string& rule : rules)
            if (const auto eq = rule.rfind('=');
                eq == std::string::npos || !is_known_kind(rule.substr(eq + 1)))
                script.errors.push_back("shape " + set + ": '" + rule + "' is not FIELD=KIND");
    for (const Entry& e : script.entries) {
        for (const Step& s : e.steps)
            for (const std::string& rule : s.comparison.shapes)
                if (const auto eq = rule.rfind('=');
                    eq != std::string::npos && !is_known_kind(rule.substr(eq + 1)))
                    script.errors.push_back(std::to_string(e.line) + ": entry '" + e.name +
                                            "': unknown shape kind in '" + rule + "'");
    }
    return script;
}

}  // namespace lb::test::compat
