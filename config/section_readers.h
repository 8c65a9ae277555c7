// Readers for the tables and keys that lb.toml and the arbiter's file share ([admin], [metrics],
// names and paths), so both report the same mistakes the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "config/table_reader.h"

namespace lb::config {

template <typename T>
void set(T& target, std::optional<T> value) {
    if (value) target = std::move(*value);
}

// Names that show up in admin commands ("pin site-a"), metric labels and HAProxy-style
// "BACKEND/SITE" arguments: letters, digits, '-', '_', '.'. Required.
void read_name(TableReader& r, std::string_view key, std::string& target);
// A path: any non-empty string.
void read_path(TableReader& r, std::string_view key, std::string& target);
void read_admin(TableReader& r, Admin& admin);
void read_metrics(TableReader& r, Metrics& metrics);

}  // namespace lb::config
