// TableReader: typed getters over one toml++ table. Each problem becomes one positioned
// diagnostic; a getter never throws and never stops the load, so every problem is reported.
#include "config/table_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "config/edit_distance.h"

namespace lb::config {
namespace {

constexpr std::string_view kEndpointExample =
    R"(an address with a port such as "10.0.0.1:443" or "[fd00::1]:443")";
constexpr std::string_view kIpExample = R"(an IP address such as "10.0.0.11" or "fd00::11")";

std::string range_message(std::int64_t min, std::int64_t max, std::int64_t got) {
    if (max >= std::numeric_limits<int>::max())
        return fmt::format("must be at least {}, got {}", min, got);
    return fmt::format("must be from {} to {}, got {}", min, max, got);
}

}  // namespace

std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string describe(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "string " + quoted(node.as_string()->get());
        case toml::node_type::integer:
            return fmt::format("integer {}", node.as_integer()->get());
        case toml::node_type::floating_point:
            // "float 4.0", not "float 4": the type is the point of the message.
            return fmt::format("float {:#}", node.as_floating_point()->get());
        case toml::node_type::boolean:
            return node.as_boolean()->get() ? "boolean true" : "boolean false";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

TableReader::TableReader(const toml::table& table, std::string path, SourceMap& where,
                         Diagnostics& out)
    : table_(&table), path_(std::move(path)), where_(&where), out_(&out) {}

std::string TableReader::key_path(std::string_view key) const { return join_key(path_, key); }

SourcePosition TableReader::position() const { return position_of(*table_); }

SourcePosition TableReader::position_of(const toml::node& node) const {
    const auto begin = node.source().begin;
    return {where_->file(), static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

bool TableReader::has(std::string_view key) const { return table_->contains(key); }

bool TableReader::require(std::string_view key) {
    read_.emplace(key);
    if (has(key)) return true;
    out_->error(position(), key_path(key), "missing required key");
    return false;
}

const toml::node* TableReader::lookup(std::string_view key) {
    read_.emplace(key);
    return table_->get(key);
}

void TableReader::record(std::string_view key, const toml::node& node) {
    const auto it = table_->find(key);
    const auto value = position_of(node);
    auto key_begin = it != table_->end() ? it->first.source().begin : node.source().begin;
    where_->record(key_path(key), value.line, value.column, static_cast<int>(key_begin.line),
                   static_cast<int>(key_begin.column));
}

void TableReader::type_error(std::string_view key, const toml::node& node,
                             std::string_view expected) {
    out_->error(position_of(node), key_path(key),
                fmt::format("expected {}, got {}", expected, describe(node)));
}

void TableReader::error(std::string_view key, std::string message) {
    const toml::node* node = key.empty() ? nullptr : table_->get(key);
    const auto where = node != nullptr ? position_of(*node) : position();
    out_->error(where, key.empty() ? path_ : key_path(key), std::move(message));
}

void TableReader::warning(std::string_view key, std::string message) {
    const toml::node* node = key.empty() ? nullptr : table_->get(key);
    const auto where = node != nullptr ? position_of(*node) : position();
    out_->warning(where, key.empty() ? path_ : key_path(key), std::move(message));
}

void TableReader::error(std::string_view key, std::size_t index, std::string message) {
    const toml::node* node = table_->get(key);
    const auto* array = node != nullptr ? node->as_array() : nullptr;
    const toml::node* element = array != nullptr ? array->get(index) : nullptr;
    const auto where = element != nullptr ? position_of(*element)
                       : node != nullptr  ? position_of(*node)
                                          : position();
    out_->error(where, fmt::format("{}[{}]", key_path(key), index), std::move(message));
}

std::optional<std::string> TableReader::string(std::string_view key, std::string_view expected) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* text = node->as_string()) {
        record(key, *node);
        return text->get();
    }
    type_error(key, *node, expected);
    return std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* flag = node->as_boolean()) {
        record(key, *node);
        return flag->get();
    }
    type_error(key, *node, "true or false");
    return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* number = node->as_integer();
    if (number == nullptr) {
        type_error(key, *node, "an integer");
        return std::nullopt;
    }
    const std::int64_t value = number->get();
    if (value < min || value > max) {
        out_->error(position_of(*node), key_path(key), range_message(min, max, value));
        return std::nullopt;
    }
    record(key, *node);
    return value;
}

std::optional<int> TableReader::int_in(std::string_view key, int min, int max) {
    const auto value = integer(key, min, max);
    if (!value) return std::nullopt;
    return static_cast<int>(*value);
}

std::optional<std::uint16_t> TableReader::port(std::string_view key) {
    const auto value = integer(key, 1, 65535);
    if (!value) return std::nullopt;
    return static_cast<std::uint16_t>(*value);
}

std::optional<Duration> TableReader::duration(std::string_view key, Duration at_least) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* text = node->as_string();
    if (text == nullptr) {
        type_error(key, *node, R"(a duration such as "500ms")");
        return std::nullopt;
    }
    const std::string& raw = text->get();
    const auto parsed = parse_duration(raw);
    if (!parsed) {
        const bool negative = !raw.empty() && raw.front() == '-' && parse_duration(raw.substr(1));
        out_->error(position_of(*node), key_path(key),
                    negative ? "a duration cannot be negative, got " + quoted(raw)
                             : R"(expected a duration such as "500ms" (units ms, s, m, h), got )" +
                                   describe(*node));
        return std::nullopt;
    }
    if (*parsed < at_least) {
        out_->error(position_of(*node), key_path(key),
                    at_least == Duration(1) ? "must be greater than zero, got " + quoted(raw)
                                            : fmt::format("must be at least {}, got {}",
                                                          format_duration(at_least), quoted(raw)));
        return std::nullopt;
    }
    record(key, *node);
    return parsed;
}

std::optional<SocketAddress> TableReader::parse_endpoint(const std::string& key,
                                                         const toml::node& node) {
    const auto where = position_of(node);
    const auto* text = node.as_string();
    if (text == nullptr) {
        out_->error(where, key,
                    fmt::format("expected {}, got {}", kEndpointExample, describe(node)));
        return std::nullopt;
    }
    const auto address = SocketAddress::parse_endpoint(text->get());
    if (!address) {
        out_->error(where, key,
                    fmt::format("expected {}, got {}", kEndpointExample, describe(node)));
        return std::nullopt;
    }
    if (address->port() == 0) {
        out_->error(where, key, "port must be from 1 to 65535, got " + describe(node));
        return std::nullopt;
    }
    return address;
}

std::optional<SocketAddress> TableReader::endpoint(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    auto address = parse_endpoint(key_path(key), *node);
    if (address) record(key, *node);
    return address;
}

std::optional<SocketAddress> TableReader::ip(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* text = node->as_string();
    auto address = text != nullptr ? SocketAddress::parse_ip(text->get()) : std::nullopt;
    if (!address) {
        type_error(key, *node, kIpExample);
        return std::nullopt;
    }
    record(key, *node);
    return address;
}

bool TableReader::empty_string(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr || !node->is_string() || !node->as_string()->get().empty()) return false;
    record(key, *node);
    return true;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* array = node->as_array();
    if (array == nullptr) {
        type_error(key, *node, "an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = (*array)[i];
        if (const auto* text = element.as_string()) {
            values.push_back(text->get());
            continue;
        }
        ok = false;
        out_->error(position_of(element), fmt::format("{}[{}]", key_path(key), i),
                    "expected a string, got " + describe(element));
    }
    if (!ok) return std::nullopt;
    record(key, *node);
    return values;
}

std::optional<std::vector<SocketAddress>> TableReader::endpoints(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* array = node->as_array();
    if (array == nullptr) {
        type_error(key, *node, "an array of addresses");
        return std::nullopt;
    }
    std::vector<SocketAddress> values;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        auto address = parse_endpoint(fmt::format("{}[{}]", key_path(key), i), (*array)[i]);
        ok = ok && address.has_value();
        if (address) values.push_back(*address);
    }
    if (!ok) return std::nullopt;
    record(key, *node);
    return values;
}

std::optional<std::size_t> TableReader::choice(std::string_view key,
                                               const std::vector<std::string_view>& names) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* text = node->as_string()) {
        const auto it = std::find(names.begin(), names.end(), std::string_view(text->get()));
        if (it != names.end()) {
            record(key, *node);
            return static_cast<std::size_t>(it - names.begin());
        }
    }
    std::string expected = "one of ";
    for (std::size_t i = 0; i < names.size(); ++i)
        expected += (i == 0 ? "" : ", ") + quoted(names[i]);
    type_error(key, *node, expected);
    return std::nullopt;
}

std::optional<TableReader> TableReader::table(std::string_view key) {
    const toml::node* node = lookup(key);
    if (node == nullptr) return std::nullopt;
    const auto* child = node->as_table();
    if (child == nullptr) {
        type_error(key, *node, "a table");
        return std::nullopt;
    }
    record(key, *node);
    return TableReader(*child, key_path(key), *where_, *out_);
}

std::vector<TableReader> TableReader::tables(std::string_view key) {
    std::vector<TableReader> readers;
    const toml::node* node = lookup(key);
    if (node == nullptr) return readers;
    const auto* array = node->as_array();
    if (array == nullptr) {
        type_error(key, *node, fmt::format("an array of tables ([[{}]])", key));
        return readers;
    }
    record(key, *node);
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = (*array)[i];
        const std::string element_path = fmt::format("{}[{}]", key_path(key), i);
        const auto* child = element.as_table();
        if (child == nullptr) {
            out_->error(position_of(element), element_path,
                        "expected a table, got " + describe(element));
            continue;
        }
        const auto where = position_of(element);
        where_->record(element_path, where.line, where.column, where.line, where.column);
        readers.emplace_back(*child, element_path, *where_, *out_);
    }
    return readers;
}

std::vector<std::string> TableReader::remaining_keys() {
    std::vector<std::string> keys;
    for (const auto& [key, value] : *table_) {
        if (read_.contains(key.str())) continue;
        keys.emplace_back(key.str());
        read_.emplace(key.str());
    }
    return keys;
}

void TableReader::finish() {
    for (const auto& [key, value] : *table_) {
        if (read_.contains(key.str())) continue;
        std::string message = "unknown key";
        for (const auto& known : read_) {
            if (edit_distance(key.str(), known) <= std::min<std::size_t>(2, known.size() / 2)) {
                message += " (did you mean " + quoted(known) + "?)";
                break;
            }
        }
        const auto begin = key.source().begin;
        out_->error({where_->file(), static_cast<int>(begin.line), static_cast<int>(begin.column)},
                    key_path(key.str()), message);
    }
}

}  // namespace lb::config
