// haproxy.cfg's `global` section, as far as lb has a use for it: `maxconn`, `nbthread` and the
// first `stats socket` (path, mode, level); the rest is reported.
#pragma once

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/document.h"
#include "config/haproxy/proxies.h"

namespace lb::config::haproxy {

void read_global(const Section& section, HaproxyGlobal& global, ImportDiagnostics& out);

}  // namespace lb::config::haproxy
