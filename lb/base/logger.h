// Process-wide log to stderr: one line per event, never split or interleaved with another. Under
// `lb run` a writer thread writes them (log_writer.h), so logging never blocks on a slow reader.
// Configured once at startup, before any thread starts.
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lb::log {

enum class Level { Debug, Info, Warning, Error };

void set_min_level(Level level);
[[nodiscard]] bool enabled(Level level);
// log_format = "json": every line becomes one JSON object, for log shippers.
void set_json(bool json);
[[nodiscard]] bool json();

using Field = std::pair<std::string_view, std::string>;
// A named event (failover, pin, health, reload) with structured fields. Text mode prints
// `message`; JSON mode prints {"time","level","event","message", fields...}.
void event(Level level, std::string_view name, std::string_view message,
           std::initializer_list<Field> fields = {});
// "2026-11-25T08:01:23.123Z warning failover: ..." — UTC, milliseconds.
void write(Level level, std::string_view message);
// A line exactly as given (access log lines bring their own format).
void write_raw(std::string_view line);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace lb::log
