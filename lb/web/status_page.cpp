// Renders admin::Status as the status page and as /status.json. Status strings come from config
// and from health checks (which quote what a site answered), so everything is escaped.
#include "lb/web/status_page.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <utility>

#include "lb/admin/status_format.h"

namespace lb::web {

namespace {

std::string human_bytes(std::uint64_t bytes) {
    constexpr std::array<std::string_view, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < kUnits.size()) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string human_seconds(std::uint64_t seconds) {
    const std::uint64_t days = seconds / 86400;
    const std::uint64_t hours = seconds / 3600 % 24;
    const std::uint64_t minutes = seconds / 60 % 60;
    const std::uint64_t secs = seconds % 60;
    if (days > 0) return fmt::format("{}d {}h {}m", days, hours, minutes);
    if (hours > 0) return fmt::format("{}h {}m {}s", hours, minutes, secs);
    if (minutes > 0) return fmt::format("{}m {}s", minutes, secs);
    return fmt::format("{}s", secs);
}

// Loopback checks take microseconds, WAN ones tens of ms: keep 2-3 significant digits.
std::string human_millis(double ms) {
    if (ms < 1) return fmt::format("{:.3f} ms", ms);
    if (ms < 100) return fmt::format("{:.1f} ms", ms);
    return fmt::format("{:.0f} ms", ms);
}

// A byte count as "1.5 MiB" with the exact number on hover.
std::string bytes_cell(std::uint64_t bytes) {
    return fmt::format("<td class=\"num\" title=\"{} bytes\">{}</td>", bytes, human_bytes(bytes));
}

std::string number_cell(std::uint64_t value) {
    return fmt::format("<td class=\"num\">{}</td>", value);
}

bool is_active(const admin::Status& status, const admin::SiteStatus& site) {
    return site.active || site.name == status.active_site;
}

bool is_pinned(const admin::Status& status, const admin::SiteStatus& site) {
    return site.pinned || (status.pinned_site && *status.pinned_site == site.name);
}

constexpr std::string_view kStyle = R"(
body{font:13px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;background:#fafafa}
h1{font-size:20px;margin:0}h2{font-size:15px;margin:1.5em 0 .4em}
.meta{color:#666;margin:.2em 0 1em}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;white-space:nowrap}
thead th{background:#445;color:#fff;font-weight:600}
table.kv th{background:#eee;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.active td{background:#e6f4e6}
.active-marker{background:#1a7f37;color:#fff;border-radius:3px;padding:0 5px;margin-left:6px;
font-size:11px;font-weight:700}
.pin-marker{background:#9a6700;color:#fff;border-radius:3px;padding:0 5px;margin-left:4px;
font-size:11px;font-weight:700}
.site-name{font-weight:700}
.up{color:#1a7f37;font-weight:700}.down{color:#cf222e;font-weight:700}.unknown{color:#888}
.fail{color:#cf222e}.ok{color:#1a7f37}
.role-master{color:#1a7f37;font-weight:700}.role-backup{color:#555;font-weight:700}
.role-fault{color:#cf222e;font-weight:700}
footer{margin-top:1.5em;color:#666}
)";

void render_summary(std::string& out, const admin::Status& status) {
    auto row = [&](std::string_view name, const std::string& cell_html) {
        fmt::format_to(std::back_inserter(out), "<tr><th>{}</th><td>{}</td></tr>\n", name,
                       cell_html);
    };
    out += "<table class=\"kv\" id=\"summary\">\n";
    row("Active site", status.active_site.empty()
                           ? std::string("none")
                           : "<strong>" + html_escape(status.active_site) + "</strong>");
    std::string why;
    if (status.pinned_site) {
        why = "pinned by an operator (health is ignored until unpin)";
    } else if (!status.last_transition.empty()) {
        why = "last change: " + html_escape(status.last_transition);
    } else {
        why = "no change since start";
    }
    row("Why", why);
    row("Pinned", status.pinned_site ? html_escape(*status.pinned_site) : std::string("no"));
    row("Epoch", fmt::format("{}", status.epoch));
    row("Failovers", fmt::format("{}", status.failovers_total));
    if (!status.peer_role.empty())
        row("Peer role",
            fmt::format("<span class=\"role-{0}\">{0}</span>", html_escape(status.peer_role)));
    if (status.peer) {
        const admin::PeerView& p = *status.peer;
        row("Virtual IP", fmt::format("{} on {}: {}", html_escape(p.vip), html_escape(p.interface),
                                      p.vip_held ? "held here" : "not held here"));
        row("Peer",
            p.peer_id.empty()
                ? std::string("not heard")
                : fmt::format("{} {} (priority {}), last advert {} ago", html_escape(p.peer_id),
                              html_escape(p.peer_role), p.peer_priority,
                              admin::format_age(p.peer_advert_age_ms.value_or(0))));
    }
    row("Connections", fmt::format("{} active of {} max, {} total", status.connections_active,
                                   status.max_connections, status.connections_total));
    out += "</table>\n";
}

void render_site(std::string& out, const admin::Status& status, const admin::SiteStatus& site) {
    const bool active = is_active(status, site);
    const std::string health = html_escape(admin::health_text(site));
    fmt::format_to(std::back_inserter(out),
                   "<tr class=\"site{}\"><td><span class=\"site-name\">{}</span>",
                   active ? " active" : "", html_escape(site.name));
    if (active) out += "<span class=\"active-marker\">ACTIVE</span>";
    if (is_pinned(status, site)) out += "<span class=\"pin-marker\">PINNED</span>";
    fmt::format_to(std::back_inserter(out),
                   "</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td>",
                   html_escape(admin::role_text(site)), html_escape(site.address), health, health,
                   html_escape(admin::admin_state_text(site)),
                   html_escape(admin::check_kind_text(site)));
    if (site.last_check) {
        const admin::CheckSummary& check = *site.last_check;
        fmt::format_to(std::back_inserter(out),
                       "<td class=\"{}\">{}</td><td class=\"num\">{}</td><td "
                       "class=\"num\">{} ago</td>",
                       check.ok ? "ok" : "fail", html_escape(check.reason),
                       human_millis(check.latency_ms), human_seconds(check.age_ms / 1000));
    } else {
        out += "<td>-</td><td>-</td><td>-</td>";
    }
    out += number_cell(site.checks_failed_total);
    out += number_cell(site.health_changes_total);
    fmt::format_to(std::back_inserter(out), "<td class=\"num\">{}</td>",
                   human_seconds(site.last_change_age_s));
    out += number_cell(site.connections_active);
    out += number_cell(site.connections_max);
    out += number_cell(site.connections_total);
    out += number_cell(site.connect_errors_total);
    out += bytes_cell(site.bytes_to_site);
    out += bytes_cell(site.bytes_to_client);
    out += "</tr>\n";
}

void render_listener(std::string& out, const admin::ListenerStatus& listener) {
    fmt::format_to(std::back_inserter(out),
                   "<tr><td class=\"listener-name\">{}</td><td>{}</td><td class=\"num\">{}</td>",
                   html_escape(listener.name), html_escape(listener.bind), listener.target_port);
    out += number_cell(listener.connections_active);
    out += number_cell(listener.connections_max);
    out += number_cell(listener.connections_total);
    out += number_cell(listener.rejected_total);
    out += bytes_cell(listener.bytes_client_to_site);
    out += bytes_cell(listener.bytes_site_to_client);
    out += "</tr>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string render_status_html(const admin::Status& status) {
    std::string out;
    out.reserve(8192);
    fmt::format_to(std::back_inserter(out),
                   "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"refresh\" content=\"2\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>sitelb: {}</title>\n<style>{}</style></head>\n<body>\n",
                   html_escape(status.active_site), kStyle);
    fmt::format_to(std::back_inserter(out),
                   "<header><h1>sitelb status</h1><p class=\"meta\">version {} &middot; pid {} "
                   "&middot; up {} &middot; {} worker{}</p></header>\n",
                   html_escape(status.version), status.pid, human_seconds(status.uptime_s),
                   status.workers, status.workers == 1 ? "" : "s");
    render_summary(out, status);

    out +=
        "<h2>Sites</h2>\n<table class=\"grid\" id=\"sites\"><thead><tr><th>Site</th>"
        "<th>Role</th><th>Address</th><th>Health</th><th>State</th><th>Check</th>"
        "<th>Last check</th><th>Latency</th><th>Checked</th><th>Chk fail</th>"
        "<th>Changes</th><th>Last change</th><th>Cur</th><th>Max</th><th>Total</th>"
        "<th>Conn err</th><th>Bytes in</th><th>Bytes out</th></tr></thead><tbody>\n";
    for (const admin::SiteStatus& site : status.sites) render_site(out, status, site);
    out += "</tbody></table>\n";

    out +=
        "<h2>Listeners</h2>\n<table class=\"grid\" id=\"listeners\"><thead><tr><th>Listener</th>"
        "<th>Bind</th><th>Target port</th><th>Cur</th><th>Max</th><th>Total</th>"
        "<th>Rejected</th><th>Bytes in</th><th>Bytes out</th></tr></thead><tbody>\n";
    for (const admin::ListenerStatus& listener : status.listeners) render_listener(out, listener);
    out += "</tbody></table>\n";

    out +=
        "<footer>Refreshes every 2 s. Bytes in: client to site; out: site to client. "
        "Machine-readable: <a href=\"/status.json\">/status.json</a>, "
        "<a href=\"/metrics\">/metrics</a>.</footer>\n</body></html>\n";
    return out;
}

std::string render_status_json(const admin::Status& status) {
    // The same document as `show status json`: one rendering, so the two never disagree.
    return admin::format_status(status, admin::Format::Json);
}

}  // namespace lb::web
