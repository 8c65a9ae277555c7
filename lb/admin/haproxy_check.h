// How HAProxy would describe a site: its check status (L4OK, L4CON, L7STS, ...), its server
// status column ("UP", "DOWN 1/2", "DRAIN", "MAINT", ...), its check health counter, and
// whether it takes new connections — the words HAProxy's `show stat` and `show servers state`
// print for the same facts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lb/admin/controller.h"

namespace lb::admin::haproxy {

// check_status text, check_desc, numeric code as in `show servers state` (HCHK_STATUS_*) and
// check result (CHK_RES_*: 0 unknown, 2 failed, 3 passed).
struct CheckStatus {
    std::string_view status;
    std::string_view description;
    int status_code = 0;
    int result = 0;
    std::optional<int> http_code;
};
[[nodiscard]] CheckStatus check_status(const SiteStatus& site);

[[nodiscard]] bool is_layer7(const SiteStatus& site);

// HAProxy's status column for a server: "UP", "UP 2/3" (failing, not down yet), "DOWN",
// "DOWN 1/2" (recovering), "DRAIN", "MAINT", or "no check" (not checked, or no verdict yet:
// traffic still flows, as to HAProxy's unchecked servers).
[[nodiscard]] std::string server_status(const SiteStatus& site);

// HAProxy's check health counter: 0..rise-1 while down, rise..rise+fall-1 while up.
[[nodiscard]] int check_health(const SiteStatus& site);

// The port a listener's connections use on site `site_index` (HAProxy's server port).
[[nodiscard]] std::uint16_t server_port(const ListenerStatus& listener, std::size_t site_index);

// Takes new connections: not down, not drained or in maintenance, weight above 0.
[[nodiscard]] bool usable(const SiteStatus& site);
// Up or not yet known, and not in maintenance (HAProxy's "not stopped").
[[nodiscard]] bool running(const SiteStatus& site);

}  // namespace lb::admin::haproxy
