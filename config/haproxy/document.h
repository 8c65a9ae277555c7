// haproxy.cfg as HAProxy reads its structure: a section starts at a line whose first word is a
// section keyword (global, defaults, frontend, backend, listen, and the others HAProxy knows)
// and holds every following line up to the next one. A pure structure: words and line numbers,
// no meaning given to any directive yet (that is proxies.h's job).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/tokenizer.h"

namespace lb::config::haproxy {

struct Directive {
    int line = 0;
    std::vector<std::string> words;  // never empty

    [[nodiscard]] const std::string& keyword() const { return words.front(); }
    // The i-th word (0 is the keyword), or "" past the end.
    [[nodiscard]] std::string_view word(std::size_t i) const {
        return i < words.size() ? std::string_view(words[i]) : std::string_view();
    }
    // The words from `from` on, joined by blanks (for messages).
    [[nodiscard]] std::string text(std::size_t from = 0) const;
};

enum class SectionKind { Global, Defaults, Frontend, Backend, Listen, Other };

struct Section {
    SectionKind kind = SectionKind::Other;
    std::string keyword;  // "frontend", "peers", ...
    std::string name;     // "" when none was given
    std::vector<std::string> arguments;  // after the name ("from", "NAME" for 2.x defaults)
    int line = 0;
    std::vector<Directive> directives;
};

struct Document {
    std::vector<Section> sections;
};

// Lines before the first section are reported and left out.
[[nodiscard]] Document parse_document(std::string_view text, const Environment& env,
                                      ImportDiagnostics& out);

}  // namespace lb::config::haproxy
