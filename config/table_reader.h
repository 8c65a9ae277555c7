// Reads one TOML table with typed, range-checked getters and remembers which keys it asked for;
// finish() reports every other key as an unknown key at the key's own position.
// Private to config/: it exposes toml++ types, which must not leave this folder.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostic.h"
#include "config/duration.h"
#include "config/socket_address.h"
#include "config/source_map.h"

namespace lb::config {

// Every getter follows one contract: an absent key returns nullopt and reports nothing; a present
// key of the right type and range returns its value and records its position in the SourceMap;
// anything else reports an error at the value's position and returns nullopt. So callers write
// `if (auto v = reader.port("port")) target = *v;` and keep the default otherwise.
class TableReader {
public:
    // `path` is the dotted key of this table ("" for the document root, "sites[1]", "health").
    TableReader(const toml::table& table, std::string path, SourceMap& where, Diagnostics& out);

    [[nodiscard]] const std::string& path() const { return path_; }
    // The dotted key of `key` inside this table ("health" + "interval" → "health.interval").
    [[nodiscard]] std::string key_path(std::string_view key) const;
    [[nodiscard]] SourcePosition position() const;  // the table's header, or its first key

    [[nodiscard]] bool has(std::string_view key) const;
    // Reports "missing required key" at the table's position when `key` is absent.
    bool require(std::string_view key);

    // `expected` names the wanted value in the type error ("expected a string, got integer 5").
    [[nodiscard]] std::optional<std::string> string(std::string_view key,
                                                    std::string_view expected = "a string");
    [[nodiscard]] std::optional<bool> boolean(std::string_view key);
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                                      std::int64_t max);
    [[nodiscard]] std::optional<int> int_in(std::string_view key, int min, int max);
    [[nodiscard]] std::optional<std::uint16_t> port(std::string_view key);  // 1..65535
    // A string with a unit ("500ms"); values below `at_least` are errors.
    [[nodiscard]] std::optional<Duration> duration(std::string_view key,
                                                   Duration at_least = Duration::zero());
    // "10.0.0.1:443", "[fd00::1]:443"; the port must be 1..65535.
    [[nodiscard]] std::optional<SocketAddress> endpoint(std::string_view key);
    // "10.0.0.1", "fd00::1" (port 0).
    [[nodiscard]] std::optional<SocketAddress> ip(std::string_view key);
    [[nodiscard]] std::optional<std::vector<std::string>> strings(std::string_view key);
    [[nodiscard]] std::optional<std::vector<SocketAddress>> endpoints(std::string_view key);
    // True (and the key counts as read) when `key` holds the empty string: "off" for endpoints.
    [[nodiscard]] bool empty_string(std::string_view key);

    // The index into `names` of the string at `key`.
    [[nodiscard]] std::optional<std::size_t> choice(std::string_view key,
                                                    const std::vector<std::string_view>& names);
    template <typename E>
    [[nodiscard]] std::optional<E> enumeration(
        std::string_view key, std::initializer_list<std::pair<std::string_view, E>> names) {
        std::vector<std::string_view> labels;
        for (const auto& name : names) labels.push_back(name.first);
        const auto index = choice(key, labels);
        if (!index) return std::nullopt;
        return std::data(names)[*index].second;
    }

    // A sub-table ([sites.health]); nullopt when absent or not a table (then reported).
    [[nodiscard]] std::optional<TableReader> table(std::string_view key);
    // An array of tables ([[sites]]); empty when absent or not an array of tables.
    [[nodiscard]] std::vector<TableReader> tables(std::string_view key);
    // Every key of this table that is not read yet, for tables whose keys are names chosen by
    // the operator ([sites.ports]); they count as read.
    [[nodiscard]] std::vector<std::string> remaining_keys();

    // Reports each key present but never asked for. Call once, after the last getter.
    void finish();

    // Reports an error or warning positioned at `key` (its value if present, else the table).
    void error(std::string_view key, std::string message);
    void warning(std::string_view key, std::string message);
    // Reports an error at element `index` of the array at `key` ("peer.track[1]").
    void error(std::string_view key, std::size_t index, std::string message);

private:
    // Marks `key` read and returns its node, or nullptr when absent.
    const toml::node* lookup(std::string_view key);
    void type_error(std::string_view key, const toml::node& node, std::string_view expected);
    void record(std::string_view key, const toml::node& node);
    [[nodiscard]] SourcePosition position_of(const toml::node& node) const;
    [[nodiscard]] std::optional<SocketAddress> parse_endpoint(const std::string& key,
                                                              const toml::node& node);

    const toml::table* table_;
    std::string path_;
    SourceMap* where_;
    Diagnostics* out_;
    std::set<std::string, std::less<>> read_;
};

// `integer 5`, `string "x"`, `a table`: what a node holds, for "expected …, got …" messages.
[[nodiscard]] std::string describe(const toml::node& node);
// `text` in double quotes, with `"` and `\` escaped as TOML would.
[[nodiscard]] std::string quoted(std::string_view text);

}  // namespace lb::config
