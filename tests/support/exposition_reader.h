// A reader of the Prometheus text exposition format 0.0.4, for tests that check /metrics: every
// sample with its labels and value, and each family's # TYPE, so names, types and labels are
// checked as a scraper would see them rather than by substring.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb::test {

using Labels = std::map<std::string, std::string>;

struct Sample {
    std::string name;  // "lb_health_check_duration_seconds_bucket"
    Labels labels;     // unescaped values
    double value = 0;  // +Inf, -Inf and NaN included
};

struct Exposition {
    std::map<std::string, std::string> types;  // family → "counter" | "gauge" | "histogram" | ...
    std::map<std::string, std::string> help;
    std::vector<Sample> samples;

    // The value of the sample with exactly these labels, if present.
    [[nodiscard]] std::optional<double> value(std::string_view name, const Labels& labels) const;
    // Every sample of `name`, in document order.
    [[nodiscard]] std::vector<Sample> all(std::string_view name) const;
    [[nodiscard]] std::optional<std::string> type(std::string_view family) const;
};

struct ExpositionParse {
    std::optional<Exposition> exposition;  // set on success
    std::string error;                     // "line 7: ..." on failure
};

// Strict: a sample must follow the # TYPE of its family (histograms' _bucket/_sum/_count and
// counters' _total belong to the family named in # TYPE), names and labels must be well formed,
// and a label may not repeat.
[[nodiscard]] ExpositionParse parse_exposition(std::string_view text);

}  // namespace lb::test
