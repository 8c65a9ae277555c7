// Config warnings (a valid file can still hold something suspicious) as log events, at start
// and at reload, so they follow log_format like every other line.
#pragma once

#include "config/diagnostic.h"

namespace lb {

void log_config_warnings(const config::Diagnostics& diagnostics);

}  // namespace lb
