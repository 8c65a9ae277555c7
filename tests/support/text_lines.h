// Splitting replies for tests: lines of a body, cells of a CSV or space-separated line.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace lb::test {

// Every cell between separators, empty ones included ("a,,b," → "a", "", "b", "").
[[nodiscard]] inline std::vector<std::string> split(std::string_view line, char separator) {
    std::vector<std::string> out;
    std::string cell;
    for (const char c : line) {
        if (c == separator) {
            out.push_back(cell);
            cell.clear();
        } else {
            cell += c;
        }
    }
    out.push_back(cell);
    return out;
}

// The lines of `text`, without their "\n".
[[nodiscard]] inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace lb::test
