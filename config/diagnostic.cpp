#include "config/diagnostic.h"

#include <fmt/format.h>

#include <algorithm>

namespace lb::config {

std::string Diagnostic::to_string() const {
    const char* kind = severity == Severity::Error ? "error" : "warning";
    if (key.empty())
        return fmt::format("{}:{}:{}: {}: {}", where.file, where.line, where.column, kind, message);
    return fmt::format("{}:{}:{}: {}: {}: {}", where.file, where.line, where.column, kind, key,
                       message);
}

void Diagnostics::error(SourcePosition where, std::string key, std::string message) {
    items_.push_back(
        {Diagnostic::Severity::Error, std::move(where), std::move(key), std::move(message)});
}

void Diagnostics::warning(SourcePosition where, std::string key, std::string message) {
    items_.push_back(
        {Diagnostic::Severity::Warning, std::move(where), std::move(key), std::move(message)});
}

bool Diagnostics::has_errors() const {
    return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) {
        return d.severity == Diagnostic::Severity::Error;
    });
}

std::string Diagnostics::to_string() const {
    std::string out;
    for (const auto& item : items_) out += item.to_string() + "\n";
    return out;
}

}  // namespace lb::config
