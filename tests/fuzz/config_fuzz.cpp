// Fuzz target: the config loader, any bytes as lb.toml (load_config_from_string). Beyond not
// crashing: a Config comes back exactly when no diagnostic is an error; every diagnostic names
// the file and a line inside the text (1 .. lines + 1), so `lb check` always points somewhere
// real; an accepted Config can be summarised (`lb check`'s output).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/diagnostic.h"
#include "config/load_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    lb::config::Diagnostics diagnostics;
    const auto config = lb::config::load_config_from_string(text, "fuzz.toml", diagnostics);
    if (config.has_value() == diagnostics.has_errors()) std::abort();

    long lines = 1;
    for (const char c : text) lines += c == '\n';
    for (const auto& d : diagnostics.all()) {
        if (d.where.file != "fuzz.toml") std::abort();
        if (d.where.line < 1 || d.where.line > lines + 1) std::abort();
        if (d.message.empty() || d.to_string().empty()) std::abort();
    }
    if (config && lb::config::summarize(*config).empty()) std::abort();
    return 0;
}
