// An imported Config written as lb.toml: a header comment naming the source, then the tables of
// docs/configuration.md in their usual order, each site and listener preceded by a comment
// saying what in haproxy.cfg it came from. [sites.health] holds only what differs from [health].
#pragma once

#include <string>
#include <string_view>

#include "config/haproxy/convert.h"

namespace lb::config::haproxy {

[[nodiscard]] std::string write_toml(const Imported& imported, std::string_view source_name);

// `text` as a TOML basic string, quotes included (control characters escaped).
[[nodiscard]] std::string toml_quote(std::string_view text);

}  // namespace lb::config::haproxy
