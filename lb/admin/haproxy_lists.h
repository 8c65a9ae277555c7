// HAProxy 2.6's list views of a Status: `show backend`, `show servers state`, `show servers
// conn`, `show sess` and `get weight`. Backends are listeners, servers are sites.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lb/admin/controller.h"
#include "lb/base/result.h"

namespace lb::admin::haproxy {

[[nodiscard]] std::string format_backends(const Status& status);
// Version line "1", the field-name comment line, a row per listener × site. An unknown
// `backend` gives HAProxy's "Can't find backend.".
[[nodiscard]] Result<std::string> format_servers_state(const Status& status,
                                                       const std::optional<std::string>& backend);
[[nodiscard]] Result<std::string> format_servers_conn(const Status& status,
                                                      const std::optional<std::string>& backend);
// One line per open connection, HAProxy's first fields (id, proto, src, fe, be, srv, age).
[[nodiscard]] std::string format_sess(const std::vector<SessionInfo>& sessions);
// "1 (initial 1)"; HAProxy's errors for an unknown backend or server.
[[nodiscard]] Result<std::string> format_weight(const Status& status, const std::string& backend,
                                                const std::string& server);

// HAProxy's error texts, verbatim, for a backend/server pair that does not exist (nullopt: it
// does).
[[nodiscard]] std::optional<std::string> find_server_error(const Status& status,
                                                           const std::string& backend,
                                                           const std::string& server);

}  // namespace lb::admin::haproxy
