// Problems found in a config file, each pinned to file:line:col and the dotted key.
// Loading reports every problem it finds, then refuses the file as a whole.
#pragma once

#include <string>
#include <vector>

namespace lb::config {

struct SourcePosition {
    std::string file;
    int line = 0;
    int column = 0;
};

struct Diagnostic {
    enum class Severity { Error, Warning };
    Severity severity = Severity::Error;
    SourcePosition where;
    std::string key;  // dotted path, e.g. "health.interval" or "sites[1].address"
    std::string message;

    // "lb.toml:2:12: error: health.interval: expected a duration such as \"500ms\", got integer 5"
    [[nodiscard]] std::string to_string() const;
};

class Diagnostics {
public:
    void error(SourcePosition where, std::string key, std::string message);
    void warning(SourcePosition where, std::string key, std::string message);

    [[nodiscard]] bool has_errors() const;
    [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }
    // Every diagnostic, one per line, in the order found.
    [[nodiscard]] std::string to_string() const;

private:
    std::vector<Diagnostic> items_;
};

}  // namespace lb::config
