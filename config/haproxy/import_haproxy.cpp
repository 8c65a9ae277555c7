#include "config/haproxy/import_haproxy.h"

#include <utility>

#include "config/haproxy/convert.h"
#include "config/haproxy/document.h"
#include "config/haproxy/proxies.h"
#include "config/haproxy/toml_writer.h"
#include "config/load_config.h"

namespace lb::config::haproxy {

ImportResult import_haproxy(std::string_view text, std::string_view source_name,
                            const Environment& env) {
    ImportResult result;
    ImportDiagnostics& out = result.diagnostics;
    const Document document = parse_document(text, env, out);
    if (out.has_errors()) {
        out.error(0, "cannot convert: the file has lines HAProxy itself refuses (above)");
        return result;
    }
    const Model model = read_model(document, out);
    const auto imported = convert(model, out);
    if (!imported) return result;
    std::string toml = write_toml(*imported, source_name);
    // What is written must load: a value that slipped through (bytes that are not UTF-8 in a
    // path, say) is refused here rather than left for `lb check` to find.
    Diagnostics check;
    if (!load_config_from_string(toml, "lb.toml", check)) {
        for (const Diagnostic& item : check.all())
            if (item.severity == Diagnostic::Severity::Error)
                out.error(0, "cannot convert: the result would not pass lb check: " +
                                 item.to_string());
        if (!out.has_errors()) out.error(0, "cannot convert: the result would not pass lb check");
        return result;
    }
    result.toml = std::move(toml);
    return result;
}

}  // namespace lb::config::haproxy
