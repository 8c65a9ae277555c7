// HAProxy 2.6's `show stat` of a Status, as CSV, typed or JSON: each listener is a frontend
// (iid 2i+2) and a backend (iid 2i+3) named after it, each site a server of that backend (sid
// 1 primary, 2 standby). HAProxy numbers `frontend X` + `backend X` pairs declared in that
// order the same way, so scripts that keep iids work on both.
#pragma once

#include <string>

#include "lb/admin/command_parser.h"
#include "lb/admin/controller.h"
#include "lb/base/result.h"

namespace lb::admin::haproxy {

// An unknown proxy in the filter gives HAProxy's "No such proxy.".
[[nodiscard]] Result<std::string> format_show_stat(const Status& status, const ShowStat& command);

[[nodiscard]] std::uint64_t frontend_iid(std::size_t listener_index);
[[nodiscard]] std::uint64_t backend_iid(std::size_t listener_index);

}  // namespace lb::admin::haproxy
