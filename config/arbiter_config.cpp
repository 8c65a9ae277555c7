// arbiter.toml → ArbiterConfig, with the same readers and the same diagnostics as lb.toml.
#include "config/arbiter_config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/section_readers.h"
#include "config/source_map.h"
#include "config/table_reader.h"

namespace lb::config {
namespace {

void read_arbiter(TableReader& r, ArbiterConfig& config) {
    if (r.require("bind")) set(config.bind, r.endpoint("bind"));
    if (r.require("key_file")) read_path(r, "key_file", config.key_file);
    if (r.require("members")) {
        if (auto members = r.strings("members")) {
            config.members = *members;
            if (members->size() != 2)
                r.error("members", "must name exactly the two instance ids of the pair, got " +
                                       std::to_string(members->size()));
            else if ((*members)[0] == (*members)[1])
                r.error("members", "must name two different instance ids, got " +
                                       quoted((*members)[0]) + " twice");
            for (std::size_t i = 0; i < members->size(); ++i)
                if ((*members)[i].empty() || (*members)[i].size() > 32)
                    r.error("members", i, "an instance id is 1 to 32 characters");
        }
    }
    set(config.lease, r.duration("lease", Duration(1)));
    read_path(r, "state_file", config.state_file);
}

std::optional<ArbiterConfig> load_document(const toml::table& document, const std::string& path,
                                           Diagnostics& out) {
    SourceMap where(path);
    ArbiterConfig config;
    config.source_path = path;
    TableReader root(document, "", where, out);
    if (auto table = root.table("arbiter")) {
        read_arbiter(*table, config);
        table->finish();
    } else {
        root.require("arbiter");
    }
    if (auto table = root.table("admin")) {
        read_admin(*table, config.admin);
        table->finish();
    }
    if (auto table = root.table("metrics")) {
        read_metrics(*table, config.metrics);
        table->finish();
    }
    root.finish();
    if (out.has_errors()) return std::nullopt;
    return config;
}

}  // namespace

std::optional<ArbiterConfig> load_arbiter_config_from_string(std::string_view text,
                                                             const std::string& path,
                                                             Diagnostics& out) {
    toml::table document;
    try {
        document = toml::parse(text, std::string_view(path));
    } catch (const toml::parse_error& e) {
        std::string_view message = e.description();
        if (message.starts_with("Error while ")) message.remove_prefix(12);
        const auto begin = e.source().begin;
        out.error({path, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
                  std::string(message));
        return std::nullopt;
    }
    return load_document(document, path, out);
}

std::optional<ArbiterConfig> load_arbiter_config(const std::string& path, Diagnostics& out) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    if (file) text << file.rdbuf();
    if (!file || file.bad()) {
        out.error({path, 1, 1}, "", std::string("cannot read the file: ") + std::strerror(errno));
        return std::nullopt;
    }
    return load_arbiter_config_from_string(text.str(), path, out);
}

bool is_arbiter_config(std::string_view text) {
    try {
        const toml::table document = toml::parse(text);
        return document.contains("arbiter");
    } catch (const toml::parse_error&) {
        return false;
    }
}

}  // namespace lb::config
