// Only fields with a meaning for a layer-4 primary/standby balancer carry sitelb's figures;
// the others print HAProxy's neutral value (0), as HAProxy itself does for a TCP proxy. Site
// counters are totals over every listener (they are not split per listener), so each backend
// repeats them.
#include "lb/admin/haproxy_stat.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "lb/admin/haproxy_check.h"
#include "lb/admin/haproxy_fields.h"

namespace lb::admin::haproxy {
namespace {

constexpr int kFrontendType = 1;
constexpr int kBackendType = 2;
constexpr int kServerType = 4;

std::string server_address(const SiteStatus& site, std::uint16_t port) {
    if (site.address.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", site.address, port);
    return fmt::format("{}:{}", site.address, port);
}

StatRecord frontend_record(const Status& status, const ListenerStatus& l, std::uint64_t iid) {
    StatRecord row(StatObject::Frontend, iid, 0);
    row.set("pxname", l.name)
        .set("svname", "FRONTEND")
        .set("scur", l.connections_active)
        .set("smax", l.connections_max)
        .set("slim", status.max_connections)
        .set("stot", l.connections_total)
        .set("bin", l.bytes_client_to_site)
        .set("bout", l.bytes_site_to_client)
        .set("status", status.stopping ? "STOP" : "OPEN")
        .set("pid", 1)
        .set("iid", iid)
        .set("sid", 0)
        .set("type", 0)
        .set("mode", "tcp")
        .set("conn_tot", l.connections_total)
        .set("dcon", l.rejected_total);
    return std::move(row.zero_unset());
}

StatRecord server_record(const SiteStatus& site, const ListenerStatus& l, std::uint64_t iid,
                         std::uint64_t sid) {
    StatRecord row(StatObject::Server, iid, sid);
    row.set("pxname", l.name)
        .set("svname", site.name)
        .set("scur", site.connections_active)
        .set("smax", site.connections_max)
        .set("stot", site.connections_total)
        .set("bin", site.bytes_to_site)
        .set("bout", site.bytes_to_client)
        .set("econ", site.connect_errors_total)
        .set("status", server_status(site))
        .set("weight", site.weight)
        .set("uweight", site.weight)
        .set("act", site.role == config::SiteRole::Primary ? 1U : 0U)
        .set("bck", site.role == config::SiteRole::Standby ? 1U : 0U)
        .set("lastchg", site.last_change_age_s)
        .set("pid", 1)
        .set("iid", iid)
        .set("sid", sid)
        .set("lbtot", site.connections_total)
        .set("connect", site.connections_total)
        .set("type", 2)
        .set_signed("lastsess", -1)
        .set("addr", server_address(site, server_port(l, sid - 1)))
        .set("mode", "tcp");
    const bool checked = site.check_kind.has_value();
    if (checked) {
        row.set("chkfail", site.checks_failed_total)
            .set("chkdown", site.down_transitions_total)
            .set("downtime", site.downtime_s);
    }
    // HAProxy pauses checks in maintenance: no check columns then.
    const bool check_columns = checked && site.admin_state != policy::AdminState::Maint;
    std::optional<int> http_code;
    if (check_columns) {
        const CheckStatus check = check_status(site);
        http_code = check.http_code;
        row.set("check_status", std::string(check.status))
            .set("check_desc", std::string(check.description))
            .set("check_rise", static_cast<std::uint64_t>(site.rise))
            .set("check_fall", static_cast<std::uint64_t>(site.fall))
            .set("check_health", static_cast<std::uint64_t>(std::max(0, check_health(site))))
            .set("last_chk",
                 site.last_check && !site.last_check->ok ? site.last_check->reason : "");
        if (http_code) row.set("check_code", static_cast<std::uint64_t>(*http_code));
        if (site.last_check)
            row.set("check_duration", static_cast<std::uint64_t>(std::llround(
                                          std::max(0.0, site.last_check->latency_ms))));
    }
    row.zero_unset();  // then take out what HAProxy leaves empty in this state
    if (!checked) row.clear("chkfail").clear("chkdown").clear("downtime");
    if (!check_columns)
        row.clear("check_rise").clear("check_fall").clear("check_health").clear("check_duration");
    if (!http_code) row.clear("check_code");
    if (check_columns && !site.last_check) row.clear("check_duration");
    return row;
}

// HAProxy's load-balancing view of the backend: the active (primary) server while it is
// usable, else the first usable backup; weight and uweight are that server's.
StatRecord backend_record(const Status& status, const ListenerStatus& l, std::uint64_t iid,
                          bool show_counts) {
    std::uint64_t act = 0, bck = 0, active_weight = 0, backup_weight = 0, econ = 0;
    std::uint64_t running_count = 0;
    for (const SiteStatus& site : status.sites) {
        econ += site.connect_errors_total;
        if (running(site)) ++running_count;
        if (!usable(site)) continue;
        if (site.role == config::SiteRole::Primary) {
            ++act;
            active_weight += site.weight;
        } else {
            ++bck;
            if (backup_weight == 0) backup_weight = site.weight;
        }
    }
    const std::uint64_t weight = act > 0 ? active_weight : backup_weight;
    std::string state = weight > 0 ? "UP" : "DOWN";
    if (show_counts) state += fmt::format(" ({}/{})", running_count, status.sites.size());
    StatRecord row(StatObject::Backend, iid, 0);
    row.set("pxname", l.name)
        .set("svname", "BACKEND")
        .set("scur", l.connections_active)
        .set("smax", l.connections_max)
        // HAProxy's default fullconn: a tenth of the frontends' maxconn.
        .set("slim", std::max<std::uint64_t>(1, status.max_connections / 10))
        .set("stot", l.connections_total)
        .set("bin", l.bytes_client_to_site)
        .set("bout", l.bytes_site_to_client)
        .set("econ", econ)
        .set("status", state)
        .set("weight", weight)
        .set("uweight", weight)
        .set("act", act)
        .set("bck", bck)
        .set("lastchg", status.uptime_s)
        .set("pid", 1)
        .set("iid", iid)
        .set("sid", 0)
        .set("lbtot", l.connections_total)
        .set("connect", l.connections_total)
        .set("type", 1)
        .set_signed("lastsess", -1)
        .set("mode", "tcp")
        .set("algo", "roundrobin");
    return std::move(row.zero_unset());
}

// HAProxy resolves a filter's proxy name to the first proxy of that name — the frontend, as
// `frontend X` comes before `backend X` — and a number to that iid.
std::optional<std::uint64_t> filter_iid(const std::optional<std::string>& filter,
                                        const Status& status) {
    if (!filter) return std::nullopt;
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(filter->data(), filter->data() + filter->size(), number);
    if (ec == std::errc{} && end == filter->data() + filter->size()) return number;
    for (std::size_t i = 0; i < status.listeners.size(); ++i)
        if (status.listeners[i].name == *filter) return frontend_iid(i);
    return std::nullopt;
}

bool iid_matches(const std::optional<std::uint64_t>& wanted, std::uint64_t iid) {
    return !wanted || *wanted == iid;
}

std::string render(const std::vector<StatRecord>& rows, HaproxyFormat format) {
    std::string out;
    switch (format) {
        case HaproxyFormat::Text:
            out = stat_csv_header();
            for (const StatRecord& row : rows) out += row.csv();
            return out;
        case HaproxyFormat::Typed:
            for (const StatRecord& row : rows) out += row.typed();
            return out;
        case HaproxyFormat::Json:
            out = "[";
            for (std::size_t i = 0; i < rows.size(); ++i) out += (i ? "," : "") + rows[i].json();
            return out + "]\n";
    }
    return out;
}

}  // namespace

std::uint64_t frontend_iid(std::size_t listener_index) { return 2 * listener_index + 2; }
std::uint64_t backend_iid(std::size_t listener_index) { return 2 * listener_index + 3; }

Result<std::string> format_show_stat(const Status& status, const ShowStat& command) {
    const StatFilter& filter = command.filter;
    const std::optional<std::uint64_t> wanted = filter_iid(filter.proxy, status);
    // An unknown name is an error; an unknown number just matches nothing (as in HAProxy).
    if (filter.proxy && !wanted) return Error{"No such proxy."};
    std::vector<StatRecord> rows;
    for (std::size_t i = 0; i < status.listeners.size(); ++i) {
        const ListenerStatus& l = status.listeners[i];
        if ((filter.types & kFrontendType) && iid_matches(wanted, frontend_iid(i)))
            rows.push_back(frontend_record(status, l, frontend_iid(i)));
        if (!iid_matches(wanted, backend_iid(i))) continue;
        if (filter.types & kServerType) {
            for (std::size_t j = 0; j < status.sites.size(); ++j) {
                const SiteStatus& site = status.sites[j];
                const std::uint64_t sid = j + 1;
                if (filter.server_id && static_cast<std::uint64_t>(*filter.server_id) != sid)
                    continue;
                if (command.up_only && !running(site)) continue;
                if (command.no_maint && site.admin_state == policy::AdminState::Maint) continue;
                rows.push_back(server_record(site, l, backend_iid(i), sid));
            }
        }
        if (filter.types & kBackendType)
            rows.push_back(
                backend_record(status, l, backend_iid(i), command.up_only || command.no_maint));
    }
    return render(rows, command.format);
}

}  // namespace lb::admin::haproxy
