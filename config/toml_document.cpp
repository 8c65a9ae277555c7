#include "config/toml_document.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lb::config {

std::optional<std::string> read_config_text(const std::string& path, Diagnostics& out) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    if (file) text << file.rdbuf();
    if (!file || file.bad()) {
        out.error({path, 1, 1}, "", std::string("cannot read the file: ") + std::strerror(errno));
        return std::nullopt;
    }
    return text.str();
}

std::optional<toml::table> parse_document(std::string_view text, const std::string& path,
                                          Diagnostics& out) {
    try {
        return toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& e) {
        // "Error while parsing value: ..." would read "error: Error while ..." after the prefix.
        std::string_view message = e.description();
        if (message.starts_with("Error while ")) message.remove_prefix(12);
        const auto begin = e.source().begin;
        out.error({path, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
                  std::string(message));
        return std::nullopt;
    }
}

}  // namespace lb::config
