#include "lb/arbiter/arbiter_format.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>

#include "lb/admin/status_format.h"
#include "lb/base/json_writer.h"

namespace lb::arbiter {
namespace {

using admin::format_age;
using admin::key_value;
using admin::one_line;

std::uint64_t ms(Duration d) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())); }

std::string json(const ArbiterStatus& s) {
    JsonWriter json;
    json.begin_object()
        .field("bind", s.bind)
        .field("lease_ms", ms(s.lease))
        .key("holder");
    if (s.holder)
        json.value(*s.holder);
    else
        json.null();
    json.field("remaining_ms", ms(s.remaining))
        .field("hold_off_remaining_ms", ms(s.hold_off_remaining))
        .key("decision");
    if (s.newest) {
        json.begin_object()
            .field("active", s.newest->active_site)
            .field("pinned", s.newest->pinned)
            .field("epoch", s.newest->epoch)
            .end_object();
    } else {
        json.null();
    }
    json.key("members").begin_array();
    for (const MemberStatus& m : s.members) {
        json.begin_object().field("id", m.id).field("requests", m.requests).key("last_heard_ms");
        if (m.last_heard_ms)
            json.value(*m.last_heard_ms);
        else
            json.null();
        json.field("address", m.last_address).field("verdict", m.last_verdict).end_object();
    }
    json.end_array()
        .field("requests", s.requests)
        .field("granted", s.granted)
        .field("refused", s.refused)
        .field("released", s.released)
        .field("holder_changes", s.holder_changes)
        .key("rejected")
        .begin_object();
    for (const auto& [reason, count] : s.rejected) json.field(reason, count);
    json.end_object().end_object();
    return json.text() + "\n";
}

}  // namespace

std::string format_arbiter(const ArbiterStatus& s, admin::Format format) {
    if (format == admin::Format::Json) return json(s);
    std::string out;
    out += key_value("bind", one_line(s.bind));
    out += key_value("lease", format_age(ms(s.lease)));
    out += key_value("holder", s.holder ? fmt::format("{}, {} left", one_line(*s.holder),
                                                      format_age(ms(s.remaining)))
                                        : "nobody");
    if (s.hold_off_remaining.count() > 0)
        out += key_value("granting", fmt::format("not before {} (just started: a holder from "
                                                 "before may still count on its lease)",
                                                 format_age(ms(s.hold_off_remaining))));
    out += key_value("decision",
                     s.newest ? fmt::format("{}{}, epoch {}", one_line(s.newest->active_site),
                                            s.newest->pinned ? " (pinned)" : "", s.newest->epoch)
                              : "none reported yet");
    for (const MemberStatus& m : s.members) {
        out += key_value(
            fmt::format("member {}", one_line(m.id)),
            m.last_heard_ms
                ? fmt::format("last heard {} ago from {}, {}; {} requests",
                              format_age(*m.last_heard_ms), one_line(m.last_address),
                              one_line(m.last_verdict), m.requests)
                : std::string("never heard"));
    }
    out += key_value("requests", fmt::format("{} admitted: {} granted, {} refused, {} released",
                                             s.requests, s.granted, s.refused, s.released));
    out += key_value("holder changes", std::to_string(s.holder_changes));
    out += key_value("rejected", admin::format_counts(s.rejected));
    return out;
}

}  // namespace lb::arbiter
