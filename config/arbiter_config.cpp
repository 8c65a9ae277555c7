// arbiter.toml → ArbiterConfig, with the same readers and the same diagnostics as lb.toml.
#include "config/arbiter_config.h"

#include <toml++/toml.h>


#include "config/section_readers.h"
#include "config/source_map.h"
#include "config/table_reader.h"
#include "config/toml_document.h"

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
            for (std::size_t i = 0; i < members->size(); ++i) {
                const std::string& id = (*members)[i];
                const bool name = !id.empty() && id.size() <= 32 &&
                                  id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                                       "OPQRSTUVWXYZ0123456789_-.") ==
                                      std::string::npos;
                if (!name)
                    r.error("members", i,
                            "an instance id is 1 to 32 letters, digits, '-', '_' or '.', got " +
                                quoted(id));
            }
        }
    }
    if (auto lease = r.duration("lease", Duration(1))) {
        if (*lease > std::chrono::minutes(1))
            r.error("lease", "must be at most 1m (3 × the pair's advert_interval is meant)");
        else
            config.lease = *lease;
    }
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
    const auto document = parse_document(text, path, out);
    if (!document) return std::nullopt;
    return load_document(*document, path, out);
}

std::optional<ArbiterConfig> load_arbiter_config(const std::string& path, Diagnostics& out) {
    const auto text = read_config_text(path, out);
    if (!text) return std::nullopt;
    return load_arbiter_config_from_string(*text, path, out);
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
