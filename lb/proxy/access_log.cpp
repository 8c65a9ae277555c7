#include "lb/proxy/access_log.h"

#include <fmt/format.h>

#include <ctime>

#include "lb/base/json_writer.h"

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
    JsonWriter line;
    line.begin_object()
        .field("event", "connection")
        .field("time", fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                                   w.parts.tm_year + 1900, w.parts.tm_mon + 1, w.parts.tm_mday,
                                   w.parts.tm_hour, w.parts.tm_min, w.parts.tm_sec, w.millis))
        .field("client", client_text(r))
        .field("listener", r.listener)
        .field("site", r.site)
        .field("connect_ms", connect_field(r))
        .field("total_ms", r.total_ms)
        .field("bytes_to_client", r.bytes_to_client)
        .field("bytes_to_site", r.bytes_to_site)
        .field("termination", tcplog_code(r.termination))
        .field("reason", describe(r.termination))
        .field("active_connections", r.active_connections)
        .field("retries", r.retries)
        .end_object();
    return line.take();
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
