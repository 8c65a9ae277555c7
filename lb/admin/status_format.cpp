// Text is for people (aligned tables, "key: value" lines, ages as "5m03s"); JSON is for scripts
// (raw numbers, stable keys). Both come from the same snapshot, so they never disagree.
#include "lb/admin/status_format.h"

#include <fmt/format.h>

#include <algorithm>

#include "lb/base/json_writer.h"

namespace lb::admin {
namespace {

constexpr int kLatencyDecimals = 3;  // a check's latency in ms, to the microsecond

std::string yes_no(bool flag) { return flag ? "yes" : "no"; }


std::string last_check_text(const SiteStatus& site) {
    if (!site.last_check) return "-";
    const CheckSummary& check = *site.last_check;
    return fmt::format("{}: {} ({:.1f} ms, {} ago)", check.ok ? "ok" : "failed",
                       one_line(check.reason), check.latency_ms, format_age(check.age_ms));
}

void write_site(JsonWriter& json, const SiteStatus& site) {
    json.begin_object()
        .field("name", site.name)
        .field("role", role_text(site))
        .field("address", site.address)
        .field("health", health_text(site))
        .field("admin_state", admin_state_text(site))
        .field("active", site.active)
        .field("pinned", site.pinned)
        .field("check_kind", check_kind_text(site));
    json.key("last_check");
    if (site.last_check) {
        json.begin_object()
            .field("ok", site.last_check->ok)
            .field("reason", site.last_check->reason)
            .key("latency_ms")
            .value(site.last_check->latency_ms, kLatencyDecimals)
            .field("age_ms", site.last_check->age_ms)
            .end_object();
    } else {
        json.null();
    }
    json.field("checks_failed_total", site.checks_failed_total)
        .field("health_changes_total", site.health_changes_total)
        .field("last_change_age_s", site.last_change_age_s)
        .field("connections_active", site.connections_active)
        .field("connections_max", site.connections_max)
        .field("connections_total", site.connections_total)
        .field("connect_errors_total", site.connect_errors_total)
        .field("bytes_to_site", site.bytes_to_site)
        .field("bytes_to_client", site.bytes_to_client)
        .end_object();
}

void write_listener(JsonWriter& json, const ListenerStatus& listener) {
    json.begin_object()
        .field("name", listener.name)
        .field("bind", listener.bind)
        .field("target_port", listener.target_port)
        .field("connections_active", listener.connections_active)
        .field("connections_max", listener.connections_max)
        .field("connections_total", listener.connections_total)
        .field("bytes_client_to_site", listener.bytes_client_to_site)
        .field("bytes_site_to_client", listener.bytes_site_to_client)
        .field("rejected_total", listener.rejected_total)
        .end_object();
}

void write_sites(JsonWriter& json, const Status& status) {
    json.key("sites").begin_array();
    for (const SiteStatus& site : status.sites) write_site(json, site);
    json.end_array();
}

void write_listeners(JsonWriter& json, const Status& status) {
    json.key("listeners").begin_array();
    for (const ListenerStatus& listener : status.listeners) write_listener(json, listener);
    json.end_array();
}

std::string site_summary_table(const Status& status) {
    TextTable table(
        {"NAME", "ROLE", "ADDRESS", "HEALTH", "STATE", "ACTIVE", "PINNED", "LAST CHECK"});
    for (const SiteStatus& site : status.sites)
        table.add_row({site.name, role_text(site), site.address, health_text(site),
                       admin_state_text(site), yes_no(site.active), yes_no(site.pinned),
                       last_check_text(site)});
    return table.render("  ");
}

std::string listener_table(const Status& status, std::string_view indent) {
    TextTable table(
        {"NAME", "BIND", "TARGET", "CUR", "MAX", "TOTAL", "REJECTED", "TO_SITE", "TO_CLIENT"});
    for (const ListenerStatus& l : status.listeners)
        table.add_row({l.name, l.bind, std::to_string(l.target_port),
                       std::to_string(l.connections_active), std::to_string(l.connections_max),
                       std::to_string(l.connections_total), std::to_string(l.rejected_total),
                       std::to_string(l.bytes_client_to_site),
                       std::to_string(l.bytes_site_to_client)});
    return table.render(indent);
}

std::string json_line(JsonWriter& json) { return json.text() + "\n"; }

// The peer object of `show peer json` and `show status json` (null without [peer]).
void write_peer(JsonWriter& json, const std::optional<PeerView>& peer) {
    json.key("peer");
    if (!peer) {
        json.null();
        return;
    }
    const PeerView& p = *peer;
    json.begin_object()
        .field("id", p.id)
        .field("role", p.role)
        .field("priority", p.priority)
        .field("advertised_priority", p.advertised_priority)
        .field("vip", p.vip)
        .field("interface", p.interface)
        .field("vip_held", p.vip_held)
        .field("fault_reason", p.fault_reason);
    json.key("peer_id");
    if (p.peer_id.empty())
        json.null();
    else
        json.value(p.peer_id);
    json.key("peer_role");
    if (p.peer_role.empty())
        json.null();
    else
        json.value(p.peer_role);
    json.field("peer_priority", p.peer_priority);
    json.key("peer_advert_age_ms");
    if (p.peer_advert_age_ms)
        json.value(*p.peer_advert_age_ms);
    else
        json.null();
    json.field("adverts_sent", p.adverts_sent).field("adverts_received", p.adverts_received);
    json.key("adverts_rejected").begin_object();
    for (const auto& [reason, count] : p.rejected) json.field(reason, count);
    json.end_object();
    json.key("transitions").begin_array();
    for (const PeerTransitionCount& t : p.transitions)
        json.begin_object()
            .field("from", t.from)
            .field("to", t.to)
            .field("count", t.count)
            .end_object();
    json.end_array();
    json.field("last_transition", p.last_transition);
    json.key("arbiter");
    if (p.arbiter.empty()) {
        json.null();
    } else {
        json.begin_object()
            .field("address", p.arbiter)
            .field("lease_held", p.lease_held)
            .field("forced", p.forced)
            .field("quorum_wait", p.quorum_wait)
            .field("requests_sent", p.lease_requests_sent)
            .field("replies", p.lease_replies)
            .end_object();
    }
    json.end_object();
}

}  // namespace

std::string format_counts(const std::map<std::string, std::uint64_t>& counts) {
    std::string out;
    for (const auto& [name, count] : counts)
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, count);
    return out.empty() ? "none" : out;
}

std::string key_value(std::string_view key, std::string_view value) {
    return fmt::format("{:<17}{}\n", fmt::format("{}:", key), value);
}

std::string one_line(std::string_view text) {
    if (text.empty()) return "-";
    std::string out(text);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) c = ' ';
    }
    return out;
}

std::string format_uptime(std::uint64_t seconds) {
    return fmt::format("{}d {}h{:02}m{:02}s", seconds / 86400, seconds % 86400 / 3600,
                       seconds % 3600 / 60, seconds % 60);
}

std::string format_age(std::uint64_t ms) {
    if (ms < 1000) return fmt::format("{}ms", ms);
    if (ms < 10'000) return fmt::format("{}.{}s", ms / 1000, ms % 1000 / 100);
    const std::uint64_t s = ms / 1000;
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

TextTable::TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void TextTable::add_row(std::vector<std::string> cells) {
    for (std::string& cell : cells) cell = one_line(cell);
    rows_.push_back(std::move(cells));
}

std::string TextTable::render(std::string_view indent) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows_) {
        out += indent;
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i + 1 == row.size()) {
                out += row[i];
            } else {
                out += row[i];
                out.append(widths[i] - row[i].size() + 2, ' ');
            }
        }
        out += '\n';
    }
    return out;
}

std::string format_status(const Status& status, Format format) {
    if (format == Format::Json) {
        JsonWriter json;
        json.begin_object()
            .field("version", status.version)
            .field("pid", status.pid)
            .field("uptime_s", status.uptime_s)
            .field("active_site", status.active_site);
        json.key("pinned_site");
        if (status.pinned_site)
            json.value(*status.pinned_site);
        else
            json.null();
        json.field("epoch", status.epoch)
            .field("last_transition", status.last_transition)
            .field("failovers_total", status.failovers_total);
        // null without [peer], as /status.json has it.
        json.key("peer_role");
        if (status.peer_role.empty())
            json.null();
        else
            json.value(status.peer_role);
        json.field("max_connections", status.max_connections)
            .field("connections_active", status.connections_active)
            .field("connections_total", status.connections_total)
            .field("workers", status.workers)
            .field("stopping", status.stopping);
        write_peer(json, status.peer);
        write_sites(json, status);
        write_listeners(json, status);
        json.end_object();
        return json_line(json);
    }
    std::string out;
    out += key_value("version", one_line(status.version));
    out += key_value("pid", std::to_string(status.pid));
    out += key_value("uptime", format_uptime(status.uptime_s));
    out += key_value("active site", one_line(status.active_site));
    out += key_value("pinned site", status.pinned_site ? one_line(*status.pinned_site) : "-");
    out += key_value("epoch", std::to_string(status.epoch));
    out += key_value("peer role", status.peer_role.empty() ? "none (single instance)"
                                                           : one_line(status.peer_role));
    if (status.peer)
        out += key_value(
            "peer", fmt::format("{} holds the VIP: {}; peer {} {}", one_line(status.peer->id),
                                status.peer->vip_held ? "yes" : "no",
                                status.peer->peer_id.empty() ? "-" : one_line(status.peer->peer_id),
                                status.peer->peer_role.empty() ? "not heard"
                                                               : one_line(status.peer->peer_role)));
    out += key_value("failovers", std::to_string(status.failovers_total));
    out += key_value("last transition", one_line(status.last_transition));
    out += key_value("connections",
                     fmt::format("{} active, {} total, max {}", status.connections_active,
                                 status.connections_total, status.max_connections));
    out += key_value("workers", std::to_string(status.workers));
    out += "sites:\n";
    out += site_summary_table(status);
    out += "listeners:\n";
    out += listener_table(status, "  ");
    return out;
}

std::string format_sites(const Status& status, Format format) {
    if (format == Format::Json) {
        JsonWriter json;
        json.begin_object();
        write_sites(json, status);
        json.end_object();
        return json_line(json);
    }
    TextTable table({"NAME", "ROLE", "ADDRESS", "CHECK", "HEALTH", "STATE", "ACTIVE", "PINNED",
                     "CUR", "TOTAL", "CONN_ERR", "CHK_FAIL", "LAST CHECK"});
    for (const SiteStatus& site : status.sites)
        table.add_row({site.name, role_text(site), site.address, check_kind_text(site),
                       health_text(site), admin_state_text(site), yes_no(site.active),
                       yes_no(site.pinned), std::to_string(site.connections_active),
                       std::to_string(site.connections_total),
                       std::to_string(site.connect_errors_total),
                       std::to_string(site.checks_failed_total), last_check_text(site)});
    return table.render();
}

std::string format_listeners(const Status& status, Format format) {
    if (format == Format::Json) {
        JsonWriter json;
        json.begin_object();
        write_listeners(json, status);
        json.end_object();
        return json_line(json);
    }
    return listener_table(status, "");
}

std::string format_sessions(const std::vector<SessionInfo>& sessions, Format format) {
    if (format == Format::Json) {
        JsonWriter json;
        json.begin_object().key("sessions").begin_array();
        for (const SessionInfo& s : sessions)
            json.begin_object()
                .field("id", s.id)
                .field("client", s.client)
                .field("listener", s.listener)
                .field("site", s.site)
                .field("age_ms", s.age_ms)
                .field("bytes_to_site", s.bytes_to_site)
                .field("bytes_to_client", s.bytes_to_client)
                .field("state", s.state)
                .end_object();
        json.end_array().end_object();
        return json_line(json);
    }
    if (sessions.empty()) return "no open sessions\n";
    TextTable table({"ID", "CLIENT", "LISTENER", "SITE", "STATE", "AGE", "TO_SITE", "TO_CLIENT"});
    for (const SessionInfo& s : sessions)
        table.add_row({std::to_string(s.id), s.client, s.listener, s.site, s.state,
                       format_age(s.age_ms), std::to_string(s.bytes_to_site),
                       std::to_string(s.bytes_to_client)});
    return table.render();
}

}  // namespace lb::admin

namespace lb::admin {

std::string format_peer(const Status& status, Format format) {
    if (format == Format::Json) {
        JsonWriter json;
        json.begin_object();
        write_peer(json, status.peer);
        json.end_object();
        return json_line(json);
    }
    if (!status.peer) return "no [peer] section: a single instance\n";
    const PeerView& p = *status.peer;
    std::string out;
    out += key_value("id", one_line(p.id));
    out += key_value("role", one_line(p.role));
    out += key_value("priority",
                     p.advertised_priority == p.priority
                         ? std::to_string(p.priority)
                         : fmt::format("{} (advertising {})", p.priority, p.advertised_priority));
    out += key_value("vip", fmt::format("{} on {} ({})", one_line(p.vip), one_line(p.interface),
                                        p.vip_held ? "held" : "not held"));
    if (!p.fault_reason.empty()) out += key_value("fault", one_line(p.fault_reason));
    if (!p.arbiter.empty()) {
        out += key_value("arbiter", fmt::format("{}, lease {}{}", one_line(p.arbiter),
                                                p.lease_held ? "held" : "not held",
                                                p.forced ? ", MASTER forced by the operator" : ""));
        if (!p.quorum_wait.empty()) out += key_value("waiting", one_line(p.quorum_wait));
    }
    if (p.peer_id.empty()) {
        out += key_value("peer", "not heard yet");
    } else {
        out += key_value("peer",
                         fmt::format("{} {} priority {}, last advert {} ago", one_line(p.peer_id),
                                     one_line(p.peer_role), p.peer_priority,
                                     format_age(p.peer_advert_age_ms.value_or(0))));
    }
    out += key_value("adverts",
                     fmt::format("{} sent, {} received", p.adverts_sent, p.adverts_received));
    out += key_value("rejected", format_counts(p.rejected));
    std::string transitions;
    for (const PeerTransitionCount& t : p.transitions)
        transitions +=
            fmt::format("{}{}->{} {}", transitions.empty() ? "" : ", ", t.from, t.to, t.count);
    out += key_value("transitions", transitions.empty() ? "none" : transitions);
    out += key_value("last transition", one_line(p.last_transition));
    return out;
}

}  // namespace lb::admin
