// What an import found to say about a haproxy.cfg: warnings (a directive lb has no equivalent
// for, and what was done instead) and errors (the file cannot be converted), each pinned to the
// line of haproxy.cfg it concerns. Printed as "FILE:LINE: warning: message" (or "FILE: error:
// message" for the file as a whole), like a compiler.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lb::config::haproxy {

struct ImportDiagnostic {
    enum class Severity { Warning, Error };
    Severity severity = Severity::Warning;
    int line = 0;  // 1-based; 0: the file as a whole
    std::string message;

    // "haproxy.cfg:12: warning: balance roundrobin: ..." or "haproxy.cfg: error: ...".
    [[nodiscard]] std::string to_string(std::string_view file) const;
};

class ImportDiagnostics {
public:
    void warning(int line, std::string message);
    void error(int line, std::string message);

    [[nodiscard]] bool has_errors() const;
    [[nodiscard]] const std::vector<ImportDiagnostic>& all() const { return items_; }
    // Every diagnostic, one per line, by line number (those of the whole file last).
    [[nodiscard]] std::string to_string(std::string_view file) const;

private:
    std::vector<ImportDiagnostic> items_;
};

}  // namespace lb::config::haproxy
