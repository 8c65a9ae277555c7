#include "config/haproxy/diagnostics.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace lb::config::haproxy {

std::string ImportDiagnostic::to_string(std::string_view file) const {
    std::string out(file);
    if (line > 0) out += ":" + std::to_string(line);
    out += severity == Severity::Error ? ": error: " : ": warning: ";
    // A value from the file may hold control characters (escapes): one diagnostic, one line.
    for (const char c : message) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

void ImportDiagnostics::warning(int line, std::string message) {
    items_.push_back({ImportDiagnostic::Severity::Warning, line, std::move(message)});
}

void ImportDiagnostics::error(int line, std::string message) {
    items_.push_back({ImportDiagnostic::Severity::Error, line, std::move(message)});
}

bool ImportDiagnostics::has_errors() const {
    return std::any_of(items_.begin(), items_.end(), [](const ImportDiagnostic& item) {
        return item.severity == ImportDiagnostic::Severity::Error;
    });
}

std::string ImportDiagnostics::to_string(std::string_view file) const {
    // In file order, as a compiler reports; what concerns the whole file comes last.
    std::vector<const ImportDiagnostic*> ordered;
    for (const auto& item : items_) ordered.push_back(&item);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const ImportDiagnostic* a, const ImportDiagnostic* b) {
                         const auto key = [](const ImportDiagnostic* d) {
                             return d->line > 0 ? d->line : std::numeric_limits<int>::max();
                         };
                         return key(a) < key(b);
                     });
    std::string out;
    for (const auto* item : ordered) out += item->to_string(file) + "\n";
    return out;
}

}  // namespace lb::config::haproxy
