// HAProxy 2.6 runtime-API views of a Status, for scripts written against HAProxy's stats socket:
// each listener is a "backend" (and a frontend) named after it, each site a "server" of it.
// Column names and order follow HAProxy's doc/management.txt §9.1 and src/stats.c verbatim.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lb/admin/controller.h"
#include "lb/base/result.h"

namespace lb::admin {

// `show stat`'s static fields (pxname ... agg_server_check_status), in HAProxy 2.6's order.
[[nodiscard]] std::span<const std::string_view> haproxy_stat_fields();

// HAProxy's view of a site's last check: check_status text, numeric code as in
// `show servers state` (enum healthcheck_status), check result (enum chk_result).
struct HaproxyCheck {
    std::string_view status;       // "INI", "L4OK", "L7OK", "L4CON", "L4TOUT", "L7STS", ...
    std::string_view description;  // "Layer4 check passed", as HAProxy's check_desc
    int status_code = 0;           // HCHK_STATUS_* value (L4OK = 6, L7OK = 15, ...)
    int result = 0;                // CHK_RES_*: 0 unknown, 2 failed, 3 passed
    std::optional<int> http_code;  // from an "http NNN" reason
};
[[nodiscard]] HaproxyCheck haproxy_check(const SiteStatus& site);

// HAProxy's server status column: "UP", "DOWN", "DRAIN", "MAINT" or "no check" (health not known
// yet, or no check configured: traffic still flows, as for HAProxy's unchecked servers).
[[nodiscard]] std::string_view haproxy_server_status(const SiteStatus& site);

[[nodiscard]] std::string format_show_info(const Status& status);
// Header line, then per listener: FRONTEND, one row per site, BACKEND.
[[nodiscard]] std::string format_show_stat(const Status& status);
// Version line "1", the field-name comment line, a row per listener × site. An unknown
// `backend` gives HAProxy's error text.
[[nodiscard]] Result<std::string> format_servers_state(const Status& status,
                                                       const std::optional<std::string>& backend);

// A CSV cell as HAProxy writes one: quoted (quotes doubled) only when it holds ',' or '"'.
[[nodiscard]] std::string csv_cell(std::string_view text);

}  // namespace lb::admin
