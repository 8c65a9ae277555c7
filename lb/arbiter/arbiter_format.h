// `show arbiter [json]`: the lease, the members as last heard, the newest decision and the
// counters. Text for people, JSON (one line, raw numbers, stable keys) for scripts; both from one
// snapshot, ending in "\n" with no empty line (it would end the reply).
#pragma once

#include <string>

#include "lb/admin/command_parser.h"
#include "lb/arbiter/arbiter_status.h"

namespace lb::arbiter {

[[nodiscard]] std::string format_arbiter(const ArbiterStatus& status, admin::Format format);

}  // namespace lb::arbiter
