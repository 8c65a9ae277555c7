// Reading a TOML config file, for lb.toml and arbiter.toml alike: the file's text, and the
// parsed document, each failure reported at file:line:col. toml++ types stay inside config/.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostic.h"

namespace lb::config {

// The whole file, or nullopt with "cannot read the file: ..." at path:1:1.
[[nodiscard]] std::optional<std::string> read_config_text(const std::string& path,
                                                          Diagnostics& out);
// The document, or nullopt with toml++'s message at its position.
[[nodiscard]] std::optional<toml::table> parse_document(std::string_view text,
                                                        const std::string& path,
                                                        Diagnostics& out);

}  // namespace lb::config
