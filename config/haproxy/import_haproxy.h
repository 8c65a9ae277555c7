// `lb import-haproxy`: haproxy.cfg text in, lb.toml text and diagnostics out. The steps, one
// file each: tokenizer.h (HAProxy's lexical rules), document.h (sections and directives with
// their lines), proxies.h (what the directives mean, defaults applied), convert.h (to lb's
// Config), toml_writer.h (the TOML). Pure: no file or environment is read here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/tokenizer.h"

namespace lb::config::haproxy {

struct ImportResult {
    std::optional<std::string> toml;  // nullopt: the file cannot be converted (errors say why)
    ImportDiagnostics diagnostics;
};

// `source_name` names the file in the output's header comment. The TOML returned is checked
// with lb's own loader (the rules of `lb check`) before it is returned.
[[nodiscard]] ImportResult import_haproxy(std::string_view text, std::string_view source_name,
                                          const Environment& env);

}  // namespace lb::config::haproxy
