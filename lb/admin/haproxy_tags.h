// HAProxy's typed-field vocabulary shared by `show stat` and `show info`: tag letters (origin,
// nature, scope) spelled as HAProxy's JSON spells them, a value as JSON, a value on one line.
#pragma once

#include <string>
#include <string_view>

namespace lb::admin::haproxy {

// `"tags":{"origin":"Key","nature":"Name","scope":"Service"}` for the letters "KNS".
[[nodiscard]] std::string tags_json(std::string_view tags);
// `{"type":"u32","value":7}`, or a JSON string for type "str".
[[nodiscard]] std::string value_json(std::string_view type, const std::string& value);
// Control bytes would break the line protocol: they become spaces.
[[nodiscard]] std::string one_line_value(std::string_view text);

}  // namespace lb::admin::haproxy
