// The structured reply formats of HAProxy's runtime API, compared field by field: `show stat`
// CSV, `Key: value` lines (`show info`), typed output (`show ... typed`), JSON (`show ... json`)
// and space-separated tables (`show servers state|conn`). Each returns nullopt when the
// reference's reply is not of its form (an error text), so the caller compares bytes instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/runtime_api_compare.h"

namespace lb::test::compat {

// A reply's lines without the empty line that ends it (and without a trailing "> " prompt).
struct Body {
    std::vector<std::string> lines;
    bool terminated = false;  // the reply ended with its empty line
};
[[nodiscard]] Body body_of(std::string_view reply);

[[nodiscard]] std::optional<std::vector<Mismatch>> compare_csv_stat(const ShapeRules& rules,
                                                                    std::string_view reference,
                                                                    std::string_view candidate);
[[nodiscard]] std::optional<std::vector<Mismatch>> compare_key_values(const ShapeRules& rules,
                                                                      std::string_view reference,
                                                                      std::string_view candidate);
[[nodiscard]] std::optional<std::vector<Mismatch>> compare_typed(const ShapeRules& rules,
                                                                 std::string_view reference,
                                                                 std::string_view candidate);
[[nodiscard]] std::optional<std::vector<Mismatch>> compare_json(const ShapeRules& rules,
                                                                std::string_view reference,
                                                                std::string_view candidate);
// `header_lines` leading lines compared exactly, the last of them "# name name ..."; rows named
// by the values of the `key` columns.
[[nodiscard]] std::optional<std::vector<Mismatch>> compare_table(
    int header_lines, const std::vector<std::string>& key, const ShapeRules& rules,
    std::string_view reference, std::string_view candidate);

}  // namespace lb::test::compat
