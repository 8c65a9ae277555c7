// Where each key of a loaded config stood in its file, by dotted key ("sites[1].role"), so the
// cross-field checks in validate.cpp can point at a line after toml++'s nodes are gone.
// Only keys that were read successfully are recorded, plus every table header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "config/diagnostic.h"

namespace lb::config {

// "health" + "interval" → "health.interval"; "" + "global" → "global"; keys that are not bare
// TOML keys are quoted: "sites[0].ports" + "my listener" → "sites[0].ports.\"my listener\"".
[[nodiscard]] inline std::string join_key(std::string_view path, std::string_view key) {
    bool bare = !key.empty();
    for (const char c : key)
        bare = bare && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-');
    std::string part;
    if (bare) {
        part = key;
    } else {
        part = "\"";
        for (const char c : key) {
            if (c == '"' || c == '\\') part += '\\';
            part += c;
        }
        part += '"';
    }
    return path.empty() ? part : std::string(path) + "." + part;
}

class SourceMap {
public:
    explicit SourceMap(std::string file) : file_(std::move(file)) {}

    // `key_column` is where the key itself starts, `line`/`column` where its value does.
    void record(std::string key, int line, int column, int key_line, int key_column) {
        entries_.insert_or_assign(std::move(key),
                                  Entry{{file_, line, column}, {file_, key_line, key_column}});
    }
    [[nodiscard]] bool contains(std::string_view key) const {
        return entries_.find(key) != entries_.end();
    }
    // The value's position, else its nearest recorded parent's ("sites[1].role" → "sites[1]" →
    // "sites"), else the start of the file.
    [[nodiscard]] SourcePosition at(std::string_view key) const { return find(key).value; }
    // Where the key itself stands (for "this key is wrong", e.g. a [sites.ports] name).
    [[nodiscard]] SourcePosition key_at(std::string_view key) const { return find(key).key; }
    [[nodiscard]] const std::string& file() const { return file_; }

private:
    struct Entry {
        SourcePosition value;
        SourcePosition key;
    };

    [[nodiscard]] Entry find(std::string_view key) const {
        while (!key.empty()) {
            if (const auto it = entries_.find(key); it != entries_.end()) return it->second;
            const auto cut = key.find_last_of(".[");
            key = cut == std::string_view::npos ? std::string_view{} : key.substr(0, cut);
        }
        return {{file_, 1, 1}, {file_, 1, 1}};
    }

    std::string file_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace lb::config
