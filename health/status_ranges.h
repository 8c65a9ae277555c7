// The set of HTTP status codes a check accepts, from `expect_status`: a comma-separated list of
// codes and inclusive ranges ("200-399", "200,204", "200-299, 404"). Codes are 100..599.
// The only parser of that grammar: config/ validates `health.expect_status` with it (this file is
// the lb_status_ranges library, with no dependencies, for that reason).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lb::health {

class StatusRanges {
public:
    // nullopt for anything but a non-empty list of codes or ranges (low <= high); spaces
    // around items are allowed, empty items ("200,,204") are not.
    [[nodiscard]] static std::optional<StatusRanges> parse(std::string_view spec);

    [[nodiscard]] bool contains(int status) const;
    // Canonical text ("200-299,404"), for status output and logs.
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const StatusRanges&, const StatusRanges&) = default;

private:
    std::vector<std::pair<int, int>> ranges_;  // inclusive, in the order written
};

}  // namespace lb::health
