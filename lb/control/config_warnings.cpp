#include "lb/control/config_warnings.h"

#include "lb/base/logger.h"

namespace lb {

void log_config_warnings(const config::Diagnostics& diagnostics) {
    for (const auto& item : diagnostics.all()) {
        if (item.severity != config::Diagnostic::Severity::Warning) continue;
        log::event(log::Level::Warning, "config", item.to_string(),
                   {{"file", item.where.file},
                    {"line", std::to_string(item.where.line)},
                    {"column", std::to_string(item.where.column)},
                    {"key", item.key}});
    }
}

}  // namespace lb
