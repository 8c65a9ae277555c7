// Cross-field rules of a config whose tables each read cleanly: one primary and one standby,
// unique names, [sites.ports] naming real listeners, TLS settings that fit together.
#pragma once

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/source_map.h"

namespace lb::config {

// Reports each broken rule at the key that breaks it (positions from `where`), and orders
// `config.sites` primary first, standby second when the roles allow it.
void validate(Config& config, const SourceMap& where, Diagnostics& out);

}  // namespace lb::config
