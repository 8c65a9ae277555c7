#include "lb/proxy/access_log.h"

#include <fmt/format.h>

#include <ctime>

namespace lb {
namespace {

struct WallTime {
    std::tm parts{};
    long millis = 0;
};

WallTime split(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
    WallTime out;
    gmtime_r(&seconds, &out.parts);
    out.millis = static_cast<long>(ms.count() % 1000);
    return out;
}

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string client_text(const ConnectionRecord& r) {
    return r.client ? r.client->to_string() : std::string("-");
}

long long connect_field(const ConnectionRecord& r) {
    return r.connect_ms ? static_cast<long long>(*r.connect_ms) : -1;
}

}  // namespace

std::string format_tcplog(const ConnectionRecord& r) {
    const WallTime w = split(r.accepted);
    return fmt::format("{} [{:02}/{}/{:04}:{:02}:{:02}:{:02}.{:03}] {} {} {}/{} {}/{} {} {} {}",
                       client_text(r), w.parts.tm_mday, kMonths[w.parts.tm_mon],
                       w.parts.tm_year + 1900, w.parts.tm_hour, w.parts.tm_min, w.parts.tm_sec,
                       w.millis, r.listener, r.site, connect_field(r), r.total_ms,
                       r.bytes_to_client, r.bytes_to_site, tcplog_code(r.termination),
                       r.active_connections, r.retries);
}

std::string format_json_log(const ConnectionRecord& r) {
    const WallTime w = split(r.accepted);
    // Every value below is an address, a config name (validated, no quotes or control
    // characters), a number or a fixed word, so no JSON escaping is needed.
    return fmt::format(
        R"({{"event":"connection","time":"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",)"
        R"("client":"{}","listener":"{}","site":"{}","connect_ms":{},"total_ms":{},)"
        R"("bytes_to_client":{},"bytes_to_site":{},"termination":"{}","reason":"{}",)"
        R"("active_connections":{},"retries":{}}})",
        w.parts.tm_year + 1900, w.parts.tm_mon + 1, w.parts.tm_mday, w.parts.tm_hour,
        w.parts.tm_min, w.parts.tm_sec, w.millis, client_text(r), r.listener, r.site,
        connect_field(r), r.total_ms, r.bytes_to_client, r.bytes_to_site,
        tcplog_code(r.termination), describe(r.termination), r.active_connections, r.retries);
}

std::string format_connection(config::LogFormat format, const ConnectionRecord& record) {
    switch (format) {
        case config::LogFormat::Tcplog:
            return format_tcplog(record);
        case config::LogFormat::Json:
            return format_json_log(record);
        case config::LogFormat::None:
            return {};
    }
    return {};
}

}  // namespace lb
