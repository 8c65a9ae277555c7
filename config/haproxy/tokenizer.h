// haproxy.cfg's lexical rules, as HAProxy's own parser applies them to each line: words are
// separated by blanks; '#' starts a comment; 'single quotes' keep everything literally;
// "double quotes" keep blanks and '#' but process escapes and expand environment variables
// ("$VAR", "${VAR}", "${VAR-default}", "${VAR[*]}" for one word per blank-separated part);
// outside single quotes a backslash escapes ' ', '\', '#', quotes and '$', and writes \r, \n, \t
// and \xHH. Quoted and unquoted parts next to each other make one word. There is no line
// continuation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/haproxy/diagnostics.h"

namespace lb::config::haproxy {

// An environment variable's value; nullopt when it is not set. Tests pass a map; the command line
// passes getenv.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

struct Line {
    int number = 0;  // 1-based
    std::vector<std::string> words;
};

// The lines that hold at least one word, in order. A line HAProxy itself would refuse (an
// unterminated quote, a bad \x escape, a NUL byte, an unterminated "${") is reported as an error
// and left out; an unset variable expands to "" with a warning, as in HAProxy.
[[nodiscard]] std::vector<Line> tokenize(std::string_view text, const Environment& env,
                                         ImportDiagnostics& out);

// No variable is set.
[[nodiscard]] Environment empty_environment();

}  // namespace lb::config::haproxy
