// The read-only status page (HTML, in the spirit of HAProxy's stats page) and /status.json, as
// pure functions of admin::Status. Every string from the status is escaped for its format.
#pragma once

#include <string>
#include <string_view>

#include "lb/admin/controller.h"

namespace lb::web {

// A complete HTML document: inline CSS, no external assets, reloads itself every 2 s. The active
// site's row holds an element with class "active-marker" (text "ACTIVE"); every site's name is in
// an element with class "site-name".
[[nodiscard]] std::string render_status_html(const admin::Status& status);

// One JSON object with every field of admin::Status, named as in the struct. Absent optionals
// (pinned_site, last_check) and an empty peer_role (no [peer]) are null.
[[nodiscard]] std::string render_status_json(const admin::Status& status);

// &, <, >, " and ' as entities: safe in element text and in quoted attribute values.
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace lb::web
