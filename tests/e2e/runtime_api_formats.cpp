// Field-by-field comparison of the runtime API's structured formats; see runtime_api_formats.h.
// Structure is compared first (columns, keys, rows, members, in order), then every value by
// the shape rules: exact unless a rule names the field.
#include "tests/e2e/runtime_api_formats.h"

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <utility>

#include "tests/support/json_reader.h"

namespace lb::test::compat {
namespace {

std::vector<std::string> split(std::string_view line, char separator) {
    std::vector<std::string> out;
    std::string cell;
    for (const char c : line) {
        if (c == separator)
            out.push_back(std::exchange(cell, {}));
        else
            cell += c;
    }
    out.push_back(cell);
    return out;
}

std::string join_some(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < 6; ++i) out += (i ? ", " : "") + items[i];
    if (items.size() > 6) out += ", ... (" + std::to_string(items.size()) + " in all)";
    return out;
}

// Two ordered lists of names (columns, keys, rows): what is missing, extra, or out of order.
void compare_names(const std::vector<std::string>& reference,
                   const std::vector<std::string>& candidate, const std::string& what,
                   std::vector<Mismatch>& out) {
    if (reference == candidate) return;
    std::vector<std::string> missing;
    std::vector<std::string> extra;
    for (const auto& name : reference)
        if (std::find(candidate.begin(), candidate.end(), name) == candidate.end())
            missing.push_back(name);
    for (const auto& name : candidate)
        if (std::find(reference.begin(), reference.end(), name) == reference.end())
            extra.push_back(name);
    if (!missing.empty()) out.push_back({what + " missing", join_some(missing), ""});
    if (!extra.empty()) out.push_back({what + " not in the reference", "", join_some(extra)});
    if (missing.empty() && extra.empty()) {
        std::size_t i = 0;
        while (reference[i] == candidate[i]) ++i;
        out.push_back(
            {what + " order, from position " + std::to_string(i + 1), reference[i], candidate[i]});
    }
}

void compare_value(const ShapeRules& rules, const std::string& row, const std::string& field,
                   const std::string& label, const std::string& reference,
                   const std::string& candidate, std::vector<Mismatch>& out) {
    const std::string kind = rules.kind(row, field);
    if (values_agree(kind, reference, candidate)) return;
    out.push_back({label + (kind.empty() ? "" : " (shape " + kind + ")"), escape(reference),
                   escape(candidate)});
}

void compare_terminators(const Body& reference, const Body& candidate, std::vector<Mismatch>& out) {
    if (reference.terminated != candidate.terminated)
        out.push_back({"empty line ending the reply", reference.terminated ? "yes" : "no",
                       candidate.terminated ? "yes" : "no"});
}

// --- show stat CSV ---------------------------------------------------------------------------

struct Csv {
    std::vector<std::string> header;
    std::vector<std::string> keys;  // "pxname/svname", in order
    std::map<std::string, std::vector<std::string>> rows;
    std::vector<std::string> malformed;
};

std::optional<Csv> parse_csv(const Body& body) {
    if (body.lines.empty() || !body.lines[0].starts_with("# ")) return std::nullopt;
    Csv csv;
    csv.header = split(std::string_view(body.lines[0]).substr(2), ',');
    for (std::size_t i = 1; i < body.lines.size(); ++i) {
        auto cells = split(body.lines[i], ',');
        if (cells.size() != csv.header.size() || cells.size() < 2) {
            csv.malformed.push_back(body.lines[i]);
            continue;
        }
        const std::string key = cells[0] + "/" + cells[1];
        csv.keys.push_back(key);
        csv.rows[key] = std::move(cells);
    }
    return csv;
}

// --- typed -----------------------------------------------------------------------------------

struct TypedLine {
    std::string prefix;  // "S.3.1.17.status.1:SGP:str"
    std::string object;  // "S.3.1" ("" for show info)
    std::string name;    // "status"
    std::string value;
};

std::optional<std::vector<TypedLine>> parse_typed(const Body& body, bool strict) {
    static const std::regex form(R"(^([^:]+):([^:]*):([^:]*):(.*)$)");
    std::vector<TypedLine> out;
    for (const std::string& line : body.lines) {
        std::smatch m;
        if (!std::regex_match(line, m, form)) {
            if (strict) return std::nullopt;
            out.push_back({"<not typed: " + escape(line) + ">", "", "", ""});
            continue;
        }
        const auto parts = split(m[1].str(), '.');
        TypedLine typed{m[1].str() + ":" + m[2].str() + ":" + m[3].str(), "", "", m[4].str()};
        if (parts.size() >= 3) {
            typed.name = parts[parts.size() - 2];
            for (std::size_t i = 0; i + 3 < parts.size(); ++i)
                typed.object += (i ? "." : "") + parts[i];
        }
        out.push_back(std::move(typed));
    }
    if (strict && out.empty()) return std::nullopt;
    return out;
}

// --- JSON ------------------------------------------------------------------------------------

std::string scalar_text(const json::Value& value) {
    switch (value.kind()) {
        case json::Value::Kind::Null:
            return "null";
        case json::Value::Kind::Bool:
            return value.boolean() ? "true" : "false";
        case json::Value::Kind::Number:
            return value.literal();
        case json::Value::Kind::String:
            return value.string();
        default:
            return "";
    }
}

const char* kind_name(json::Value::Kind kind) {
    switch (kind) {
        case json::Value::Kind::Null:
            return "null";
        case json::Value::Kind::Bool:
            return "boolean";
        case json::Value::Kind::Number:
            return "number";
        case json::Value::Kind::String:
            return "string";
        case json::Value::Kind::Array:
            return "array";
        case json::Value::Kind::Object:
            return "object";
    }
    return "?";
}

// A stats field object: {"field":{"name":N,...},"value":{"type":T,"value":V},...}.
std::string field_name(const json::Value& value) {
    if (!value.is_object()) return "";
    const json::Value& field = value["field"];
    return field.is_object() && field["name"].is_string() ? field["name"].string() : "";
}

void compare_json_values(const ShapeRules& rules, const json::Value& reference,
                         const json::Value& candidate, const std::string& path,
                         const std::string& row, const std::string& field,
                         std::vector<Mismatch>& out) {
    if (reference.kind() != candidate.kind()) {
        out.push_back({path + " kind", kind_name(reference.kind()), kind_name(candidate.kind())});
        return;
    }
    if (reference.is_array()) {
        if (reference.size() != candidate.size())
            out.push_back({path + " length", std::to_string(reference.size()),
                           std::to_string(candidate.size())});
        // A row of stats fields: its svname qualifies the shape rules of its values.
        std::string row_name = row;
        for (const json::Value& item : reference.items())
            if (field_name(item) == "svname") row_name = item["value"]["value"].string();
        for (std::size_t i = 0; i < std::min(reference.size(), candidate.size()); ++i)
            compare_json_values(rules, reference[i], candidate[i],
                                path + "[" + std::to_string(i) + "]", row_name, "", out);
        return;
    }
    if (reference.is_object()) {
        compare_names(reference.keys(), candidate.keys(), path + " members", out);
        const std::string name = field_name(reference);
        const std::string label =
            name.empty() ? path : path + "(" + (row.empty() ? "" : row + ".") + name + ")";
        for (const auto& [key, value] : reference.members()) {
            if (!candidate.contains(key)) continue;
            // A field object's "value" is {"type","value"}: only that inner "value" takes the
            // field's shape rule; the type, the tags and the position compare exactly.
            std::string next_field;
            if (key == "value" && !name.empty()) next_field = name;
            if (key == "value" && !field.empty()) next_field = field;
            compare_json_values(rules, value, candidate[key], label + "." + key, row, next_field,
                                out);
        }
        return;
    }
    // A scalar: exact, unless it is a stats field's value and a rule names the field.
    compare_value(rules, row, field, path, scalar_text(reference), scalar_text(candidate), out);
}

}  // namespace

Body body_of(std::string_view reply) {
    Body body;
    if (reply.ends_with("\n> ")) reply.remove_suffix(2);
    if (reply == "\n" || reply.ends_with("\n\n")) {
        body.terminated = true;
        reply.remove_suffix(1);
    }
    std::size_t at = 0;
    while (at < reply.size()) {
        const auto end = reply.find('\n', at);
        body.lines.emplace_back(reply.substr(at, end == std::string_view::npos ? end : end - at));
        if (end == std::string_view::npos) break;
        at = end + 1;
    }
    return body;
}

std::optional<std::vector<Mismatch>> compare_csv_stat(const ShapeRules& rules,
                                                      std::string_view reference,
                                                      std::string_view candidate) {
    const Body ref_body = body_of(reference);
    const Body cand_body = body_of(candidate);
    const auto ref = parse_csv(ref_body);
    if (!ref) return std::nullopt;
    std::vector<Mismatch> out;
    compare_terminators(ref_body, cand_body, out);
    const auto cand = parse_csv(cand_body);
    if (!cand) {
        out.push_back({"CSV header line", escape(ref_body.lines[0].substr(0, 60)),
                       cand_body.lines.empty() ? "" : escape(cand_body.lines[0].substr(0, 60))});
        return out;
    }
    compare_names(ref->header, cand->header, "header columns", out);
    for (const std::string& line : cand->malformed)
        out.push_back({"a row whose cells do not match the header", "", escape(line)});
    compare_names(ref->keys, cand->keys, "rows", out);
    for (const auto& [key, cells] : ref->rows) {
        const auto other = cand->rows.find(key);
        if (other == cand->rows.end()) continue;
        for (std::size_t c = 0; c < ref->header.size(); ++c) {
            const std::string& column = ref->header[c];
            const auto at = std::find(cand->header.begin(), cand->header.end(), column);
            if (column.empty() || at == cand->header.end()) continue;
            const auto cand_index = static_cast<std::size_t>(at - cand->header.begin());
            compare_value(rules, cells[1], column, key + " " + column, cells[c],
                          other->second[cand_index], out);
        }
    }
    return out;
}

std::optional<std::vector<Mismatch>> compare_key_values(const ShapeRules& rules,
                                                        std::string_view reference,
                                                        std::string_view candidate) {
    const auto parse =
        [](const Body& body,
           bool strict) -> std::optional<std::vector<std::pair<std::string, std::string>>> {
        std::vector<std::pair<std::string, std::string>> out;
        for (const std::string& line : body.lines) {
            const auto colon = line.find(": ");
            if (colon == std::string::npos && strict) return std::nullopt;
            if (colon == std::string::npos)
                out.emplace_back(line, "");
            else
                out.emplace_back(line.substr(0, colon), line.substr(colon + 2));
        }
        if (out.empty() && strict) return std::nullopt;
        return out;
    };
    const Body ref_body = body_of(reference);
    const Body cand_body = body_of(candidate);
    const auto ref = parse(ref_body, true);
    if (!ref) return std::nullopt;
    const auto cand = parse(cand_body, false);
    std::vector<Mismatch> out;
    compare_terminators(ref_body, cand_body, out);
    std::vector<std::string> ref_keys;
    std::vector<std::string> cand_keys;
    for (const auto& kv : *ref) ref_keys.push_back(kv.first);
    for (const auto& kv : *cand) cand_keys.push_back(kv.first);
    compare_names(ref_keys, cand_keys, "keys", out);
    for (const auto& [key, value] : *ref) {
        const auto other = std::find_if(cand->begin(), cand->end(),
                                        [&](const auto& kv) { return kv.first == key; });
        if (other != cand->end()) compare_value(rules, "", key, key, value, other->second, out);
    }
    return out;
}

std::optional<std::vector<Mismatch>> compare_typed(const ShapeRules& rules,
                                                   std::string_view reference,
                                                   std::string_view candidate) {
    const Body ref_body = body_of(reference);
    const Body cand_body = body_of(candidate);
    const auto ref = parse_typed(ref_body, true);
    if (!ref) return std::nullopt;
    const auto cand = parse_typed(cand_body, false);
    std::vector<Mismatch> out;
    compare_terminators(ref_body, cand_body, out);
    std::vector<std::string> ref_prefixes;
    std::vector<std::string> cand_prefixes;
    for (const TypedLine& line : *ref) ref_prefixes.push_back(line.prefix);
    for (const TypedLine& line : *cand) cand_prefixes.push_back(line.prefix);
    compare_names(ref_prefixes, cand_prefixes, "fields", out);
    std::map<std::string, std::string> cand_values;
    for (const TypedLine& line : *cand) cand_values.emplace(line.prefix, line.value);
    std::map<std::string, std::string> row_of;  // object → its svname
    for (const TypedLine& line : *ref) {
        if (line.name == "svname") row_of[line.object] = line.value;
        const auto other = cand_values.find(line.prefix);
        if (other == cand_values.end()) continue;
        const std::string row = row_of.contains(line.object) ? row_of[line.object] : "";
        compare_value(rules, row, line.name, line.prefix + (row.empty() ? "" : " (" + row + ")"),
                      line.value, other->second, out);
    }
    return out;
}

std::optional<std::vector<Mismatch>> compare_json(const ShapeRules& rules,
                                                  std::string_view reference,
                                                  std::string_view candidate) {
    const auto ref = json::parse(reference);
    if (!ref.value) return std::nullopt;
    std::vector<Mismatch> out;
    if (!reference.ends_with("\n\n") || !candidate.ends_with("\n\n"))
        out.push_back({"empty line ending the reply", reference.ends_with("\n\n") ? "yes" : "no",
                       candidate.ends_with("\n\n") ? "yes" : "no"});
    const auto cand = json::parse(candidate);
    if (!cand.value) {
        out.push_back({"JSON", "a document",
                       "not JSON: " + cand.error + ": " + escape(candidate.substr(0, 60))});
        return out;
    }
    compare_json_values(rules, *ref.value, *cand.value, "$", "", "", out);
    return out;
}

std::optional<std::vector<Mismatch>> compare_table(int header_lines,
                                                   const std::vector<std::string>& key,
                                                   const ShapeRules& rules,
                                                   std::string_view reference,
                                                   std::string_view candidate) {
    const Body ref_body = body_of(reference);
    const Body cand_body = body_of(candidate);
    const auto lines = static_cast<std::size_t>(std::max(header_lines, 1));
    if (ref_body.lines.size() < lines || !ref_body.lines[lines - 1].starts_with("# "))
        return std::nullopt;
    std::vector<Mismatch> out;
    compare_terminators(ref_body, cand_body, out);
    for (std::size_t i = 0; i < lines; ++i) {
        const std::string cand_line = i < cand_body.lines.size() ? cand_body.lines[i] : "<none>";
        if (ref_body.lines[i] != cand_line)
            out.push_back(
                {"line " + std::to_string(i + 1), escape(ref_body.lines[i]), escape(cand_line)});
    }
    struct Table {
        std::vector<std::string> keys;
        std::map<std::string, std::map<std::string, std::string>> rows;  // key → column → cell
        std::map<std::string, std::string> row_names;
    };
    const auto parse = [&](const Body& body) {
        Table table;
        if (body.lines.size() < lines) return table;
        const auto names = split(std::string_view(body.lines[lines - 1]).substr(2), ' ');
        for (std::size_t r = lines; r < body.lines.size(); ++r) {
            const auto cells = split(body.lines[r], ' ');
            std::map<std::string, std::string> row;
            for (std::size_t c = 0; c < cells.size(); ++c)
                row[c < names.size() ? names[c] : names.back() + "#" + std::to_string(c)] =
                    cells[c];
            std::string row_key;
            for (const std::string& column : key)
                row_key += (row_key.empty() ? "" : "/") + row[column];
            table.keys.push_back(row_key);
            table.row_names[row_key] = key.empty() ? "" : row[key.back()];
            table.rows[row_key] = std::move(row);
        }
        return table;
    };
    const Table ref = parse(ref_body);
    const Table cand = parse(cand_body);
    compare_names(ref.keys, cand.keys, "rows", out);
    for (const auto& [row_key, row] : ref.rows) {
        const auto other = cand.rows.find(row_key);
        if (other == cand.rows.end()) continue;
        std::vector<std::string> ref_columns;
        std::vector<std::string> cand_columns;
        for (const auto& cell : row) ref_columns.push_back(cell.first);
        for (const auto& cell : other->second) cand_columns.push_back(cell.first);
        compare_names(ref_columns, cand_columns, row_key + " cells", out);
        for (const auto& [column, value] : row) {
            const auto cell = other->second.find(column);
            if (cell != other->second.end())
                compare_value(rules, ref.row_names.at(row_key), column, row_key + " " + column,
                              value, cell->second, out);
        }
    }
    return out;
}

}  // namespace lb::test::compat
