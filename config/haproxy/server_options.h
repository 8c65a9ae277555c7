// The options of a `server` or `default-server` line (check, inter, rise, fall, port, backup,
// send-proxy, check-ssl, ...) read into ServerOptions; what lb has no use for is reported.
#pragma once

#include <cstddef>

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/document.h"
#include "config/haproxy/proxies.h"

namespace lb::config::haproxy {

// The words of `d` from `from` on, applied over `options` (a server starts from its proxy's
// default-server).
void read_server_options(const Directive& d, std::size_t from, ServerOptions& options,
                         ImportDiagnostics& out);

}  // namespace lb::config::haproxy
