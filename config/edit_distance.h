// Levenshtein distance between two words: how "did you mean" suggestions pick the nearest key
// (config errors) or command (the admin socket's "Unknown command" answer).
#pragma once

#include <cstddef>
#include <string_view>

namespace lb::config {

[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace lb::config
