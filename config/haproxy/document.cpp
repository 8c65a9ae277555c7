#include "config/haproxy/document.h"

#include <utility>

#include <fmt/format.h>

#include "config/haproxy/preprocessor.h"

namespace lb::config::haproxy {
namespace {

// Section keywords of HAProxy 2.x besides the five lb reads.
constexpr std::string_view kOtherSections[] = {
    "peers",       "resolvers", "userlist", "mailers",   "program",   "http-errors", "ring",
    "cache",       "fcgi-app",  "crt-store", "log-forward", "traces", "namespace_list", "acme"};

SectionKind kind_of(std::string_view keyword, bool& is_section) {
    is_section = true;
    if (keyword == "global") return SectionKind::Global;
    if (keyword == "defaults") return SectionKind::Defaults;
    if (keyword == "frontend") return SectionKind::Frontend;
    if (keyword == "backend") return SectionKind::Backend;
    if (keyword == "listen") return SectionKind::Listen;
    for (const auto other : kOtherSections)
        if (keyword == other) return SectionKind::Other;
    is_section = false;
    return SectionKind::Other;
}

}  // namespace

std::string Directive::text(std::size_t from) const {
    std::string out;
    for (std::size_t i = from; i < words.size(); ++i) {
        if (i > from) out += ' ';
        // Control characters as HAProxy's escapes, so a message stays on one line.
        for (const char c : words[i]) {
            const auto byte = static_cast<unsigned char>(c);
            if (c == '\r')
                out += "\\r";
            else if (c == '\n')
                out += "\\n";
            else if (c == '\t')
                out += "\\t";
            else if (byte < 0x20 || byte == 0x7f)
                out += fmt::format("\\x{:02x}", static_cast<unsigned>(byte));
            else
                out += c;
        }
    }
    return out;
}

Document parse_document(std::string_view text, const Environment& env, ImportDiagnostics& out) {
    Document document;
    bool reported_orphans = false;
    Preprocessor preprocessor(env, out);
    int last_line = 0;
    for (auto& line : tokenize(text, env, out)) {
        last_line = line.number;
        if (!preprocessor.keep(line)) continue;  // .if/.else/.endif, messages, dropped lines
        bool is_section = false;
        const SectionKind kind = kind_of(line.words.front(), is_section);
        if (is_section) {
            Section section;
            section.kind = kind;
            section.keyword = line.words.front();
            section.line = line.number;
            if (line.words.size() > 1) section.name = line.words[1];
            for (std::size_t i = 2; i < line.words.size(); ++i)
                section.arguments.push_back(std::move(line.words[i]));
            document.sections.push_back(std::move(section));
            continue;
        }
        if (document.sections.empty()) {
            if (!reported_orphans)
                out.warning(line.number, "'" + line.words.front() +
                                             "' is outside any section: ignored (and any other "
                                             "line before the first section)");
            reported_orphans = true;
            continue;
        }
        document.sections.back().directives.push_back({line.number, std::move(line.words)});
    }
    preprocessor.finish(last_line);
    return document;
}

}  // namespace lb::config::haproxy
