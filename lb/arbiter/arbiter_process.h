// `lb arbiter -c arbiter.toml` in the foreground: the ArbiterServer on its own loop until
// SIGTERM or SIGINT. It needs no privilege: it holds no address and serves no traffic.
#pragma once

#include "config/arbiter_config.h"

namespace lb::arbiter {

// 0 after a signal, 1 when it cannot start (the reason is logged).
[[nodiscard]] int run_arbiter(config::ArbiterConfig config);

}  // namespace lb::arbiter
