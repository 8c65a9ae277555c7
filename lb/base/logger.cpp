// The log's two line shapes: text ("TIME LEVEL message") and, with log_format = "json", one JSON
// object per line written by JsonWriter, so any message or field value stays valid JSON. Lines go
// to the writer thread's buffer while it runs (log_writer.h), else straight to fd 2.
#include "lb/base/logger.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

#include "lb/base/json_writer.h"
#include "lb/base/log_writer.h"

namespace lb::log {
namespace {

std::atomic<Level> g_min_level{Level::Info};
std::atomic<bool> g_json{false};

const char* level_name(Level level) {
    switch (level) {
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warning:
            return "warning";
        case Level::Error:
            return "error";
    }
    return "info";
}

std::string utc_timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                       ms.count() % 1000);
}

}  // namespace

void set_min_level(Level level) { g_min_level.store(level, std::memory_order_relaxed); }

bool enabled(Level level) { return level >= g_min_level.load(std::memory_order_relaxed); }

void set_json(bool json) { g_json.store(json, std::memory_order_relaxed); }

bool json() { return g_json.load(std::memory_order_relaxed); }

void write(Level level, std::string_view message) {
    if (!enabled(level)) return;
    write_raw(format_event(level, "log", message));
}

void event(Level level, std::string_view name, std::string_view message,
           std::initializer_list<Field> fields) {
    if (!enabled(level)) return;
    write_raw(format_event(level, name, message, fields));
}

std::string format_event(Level level, std::string_view name, std::string_view message,
                         std::initializer_list<Field> fields) {
    if (!json()) return fmt::format("{} {} {}", utc_timestamp(), level_name(level), message);
    JsonWriter line;
    line.begin_object()
        .field("time", utc_timestamp())
        .field("level", level_name(level))
        .field("event", name)
        .field("message", message);
    for (const auto& [key, value] : fields) line.field(key, value);
    line.end_object();
    return line.text();
}

void write_raw(std::string_view line) {
    // With the writer thread running (lb run) the line is queued and this never blocks.
    if (queue_line(line)) return;
    std::string out;
    out.reserve(line.size() + 1);
    out.append(line);
    out.push_back('\n');
    // Best effort: a full or closed stderr must never stop the caller.
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace lb::log
