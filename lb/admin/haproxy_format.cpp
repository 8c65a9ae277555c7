// Only columns with a meaning for a layer-4 primary/standby balancer are filled; the others stay
// empty, as HAProxy leaves fields that do not apply. Site counters are totals over every
// listener (the Controller does not split them per listener), so each backend repeats them.
#include "lb/admin/haproxy_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lb/admin/status_format.h"
#include "lb/base/assert.h"

namespace lb::admin {
namespace {

// src/stats.c stat_fields[] of HAProxy 2.6.0, ST_F_PXNAME .. ST_F_AGG_SRV_CHECK_STATUS: one
// string, so it can be compared with HAProxy's header line at a glance.
constexpr std::string_view kStatFieldList =
    "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
    "lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"
    "hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"
    "cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,"
    "ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,"
    "check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,"
    "conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,"
    "srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,"
    "used_conn_cur,need_conn_est,uweight,agg_server_check_status";

const std::vector<std::string_view>& stat_fields() {
    static const std::vector<std::string_view> fields = [] {
        std::vector<std::string_view> names;
        std::string_view rest = kStatFieldList;
        for (std::size_t comma = rest.find(','); comma != std::string_view::npos;
             comma = rest.find(',')) {
            names.push_back(rest.substr(0, comma));
            rest.remove_prefix(comma + 1);
        }
        names.push_back(rest);
        return names;
    }();
    return fields;
}

// include/haproxy/server-t.h: SRV_STATE_FILE_VERSION and SRV_STATE_FILE_FIELD_NAMES.
constexpr std::string_view kServersStateHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

// src/check.c check_statuses[]: the name, description, HCHK_STATUS_* value and CHK_RES_*.
constexpr HaproxyCheck kIni{"INI", "Initializing", 1, 0, {}};
constexpr HaproxyCheck kUnk{"UNK", "Unknown", 0, 0, {}};
constexpr HaproxyCheck kSockErr{"SOCKERR", "Socket error", 5, 2, {}};
constexpr HaproxyCheck kL4Ok{"L4OK", "Layer4 check passed", 6, 3, {}};
constexpr HaproxyCheck kL4Tout{"L4TOUT", "Layer4 timeout", 7, 2, {}};
constexpr HaproxyCheck kL4Con{"L4CON", "Layer4 connection problem", 8, 2, {}};
constexpr HaproxyCheck kL6Tout{"L6TOUT", "Layer6 timeout", 10, 2, {}};
constexpr HaproxyCheck kL6Rsp{"L6RSP", "Layer6 invalid response", 11, 2, {}};
constexpr HaproxyCheck kL7Tout{"L7TOUT", "Layer7 timeout", 12, 2, {}};
constexpr HaproxyCheck kL7Rsp{"L7RSP", "Layer7 invalid response", 13, 2, {}};
constexpr HaproxyCheck kL7Ok{"L7OK", "Layer7 check passed", 15, 3, {}};
constexpr HaproxyCheck kL7Sts{"L7STS", "Layer7 wrong status", 17, 2, {}};

// HAProxy's check_status for a check's typed cause.
HaproxyCheck classify_failure(const CheckSummary& check, bool layer7) {
    using health::CheckCause;
    switch (check.cause) {
        case CheckCause::Passed:
            return layer7 ? kL7Ok : kL4Ok;
        case CheckCause::ConnectRefused:
        case CheckCause::ConnectError:
            return kL4Con;
        case CheckCause::ConnectTimeout:
            return kL4Tout;
        case CheckCause::SocketError:
            return kSockErr;
        case CheckCause::TlsTimeout:
            return kL6Tout;
        case CheckCause::TlsError:
            return kL6Rsp;
        case CheckCause::ResponseTimeout:
            return layer7 ? kL7Tout : kL4Tout;
        case CheckCause::BadResponse:
            return kL7Rsp;
        case CheckCause::BadStatus:
        case CheckCause::BodyMismatch: {
            HaproxyCheck out = kL7Sts;
            out.http_code = check.http_status;
            return out;
        }
        case CheckCause::BadTarget:
            return layer7 ? kL7Rsp : kL4Con;
        case CheckCause::Cancelled:
            return kUnk;
    }
    return kUnk;
}

bool is_layer7(const SiteStatus& site) {
    return site.check_kind == config::CheckKind::Http ||
           site.check_kind == config::CheckKind::Https;
}

// Control bytes would break the line protocol; HAProxy's CSV quoting handles the rest.
std::string cell(std::string_view text) {
    std::string clean(text);
    for (char& c : clean)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return csv_cell(clean);
}

// One CSV row, filled by column name so the code reads like HAProxy's field list.
class StatRow {
public:
    StatRow() : cells_(stat_fields().size()) {}
    StatRow& set(std::string_view name, std::string value) {
        const auto& fields = stat_fields();
        const auto it = std::find(fields.begin(), fields.end(), name);
        LB_CHECK(it != fields.end());
        cells_[static_cast<std::size_t>(it - fields.begin())] = cell(value);
        return *this;
    }
    StatRow& set(std::string_view name, std::uint64_t value) {
        return set(name, std::to_string(value));
    }
    [[nodiscard]] std::string line() const {
        std::string out;
        for (const std::string& c : cells_) out += c + ",";
        return out + "-,\n";  // HAProxy marks the end of the static fields with a "-" column
    }

private:
    std::vector<std::string> cells_;
};

bool usable(const SiteStatus& site) {
    return site.admin_state != policy::AdminState::Maint && site.health != health::Health::Down;
}

std::string server_address(const SiteStatus& site, const ListenerStatus& listener) {
    if (site.address.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", site.address, listener.target_port);
    return fmt::format("{}:{}", site.address, listener.target_port);
}

void frontend_row(std::string& out, const Status& status, const ListenerStatus& l,
                  std::uint64_t iid) {
    out += StatRow()
               .set("pxname", l.name)
               .set("svname", "FRONTEND")
               .set("scur", l.connections_active)
               .set("smax", l.connections_max)
               .set("slim", status.max_connections)
               .set("stot", l.connections_total)
               .set("bin", l.bytes_client_to_site)
               .set("bout", l.bytes_site_to_client)
               .set("status", "OPEN")
               .set("pid", 1)
               .set("iid", iid)
               .set("sid", 0)
               .set("type", 0)
               .set("mode", "tcp")
               .set("conn_tot", l.connections_total)
               .set("dcon", l.rejected_total)
               .line();
}

void server_row(std::string& out, const SiteStatus& site, const ListenerStatus& l,
                std::uint64_t iid, std::uint64_t sid) {
    const std::uint64_t weight = site.active && usable(site) ? 1 : 0;
    StatRow row;
    row.set("pxname", l.name)
        .set("svname", site.name)
        .set("qcur", 0)
        .set("qmax", 0)
        .set("scur", site.connections_active)
        .set("smax", site.connections_max)
        .set("stot", site.connections_total)
        .set("bin", site.bytes_to_site)
        .set("bout", site.bytes_to_client)
        .set("econ", site.connect_errors_total)
        .set("status", std::string(haproxy_server_status(site)))
        .set("weight", weight)
        .set("act", site.role == config::SiteRole::Primary ? 1U : 0U)
        .set("bck", site.role == config::SiteRole::Standby ? 1U : 0U)
        .set("chkfail", site.checks_failed_total)
        .set("chkdown", site.health_changes_total)
        .set("lastchg", site.last_change_age_s)
        .set("pid", 1)
        .set("iid", iid)
        .set("sid", sid)
        .set("lbtot", site.connections_total)
        .set("type", 2)
        .set("addr", server_address(site, l))
        .set("mode", "tcp")
        .set("uweight", weight);
    if (site.check_kind) {
        const HaproxyCheck check = haproxy_check(site);
        row.set("check_status", std::string(check.status))
            .set("check_desc", std::string(check.description));
        if (check.http_code) row.set("check_code", static_cast<std::uint64_t>(*check.http_code));
        if (site.last_check) {
            row.set("check_duration", static_cast<std::uint64_t>(
                                          std::llround(std::max(0.0, site.last_check->latency_ms))))
                .set("last_chk", site.last_check->reason);
        }
    }
    out += row.line();
}

void backend_row(std::string& out, const Status& status, const ListenerStatus& l,
                 std::uint64_t iid) {
    std::uint64_t act = 0, bck = 0, weight = 0;
    std::optional<std::uint64_t> lastchg;
    for (const SiteStatus& site : status.sites) {
        const bool up = usable(site) && site.health == health::Health::Up;
        if (up && site.role == config::SiteRole::Primary) ++act;
        if (up && site.role == config::SiteRole::Standby) ++bck;
        if (site.active && usable(site)) ++weight;
        lastchg = std::min(lastchg.value_or(site.last_change_age_s), site.last_change_age_s);
    }
    const bool any_usable = std::any_of(status.sites.begin(), status.sites.end(), usable);
    StatRow row;
    row.set("pxname", l.name)
        .set("svname", "BACKEND")
        .set("qcur", 0)
        .set("qmax", 0)
        .set("scur", l.connections_active)
        .set("smax", l.connections_max)
        .set("stot", l.connections_total)
        .set("bin", l.bytes_client_to_site)
        .set("bout", l.bytes_site_to_client)
        .set("status", any_usable ? "UP" : "DOWN")
        .set("weight", weight)
        .set("act", act)
        .set("bck", bck)
        .set("pid", 1)
        .set("iid", iid)
        .set("sid", 0)
        .set("lbtot", l.connections_total)
        .set("type", 1)
        .set("mode", "tcp")
        .set("uweight", weight);
    if (lastchg) row.set("lastchg", *lastchg);
    out += row.line();
}

// `show servers state` is space-separated: a name never contains a space or control byte there.
std::string one_word(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '_';
    return out;
}

std::string info_line(std::string_view key, std::string_view value) {
    return fmt::format("{}: {}\n", key, one_line(value));
}

}  // namespace

std::span<const std::string_view> haproxy_stat_fields() { return stat_fields(); }

std::string csv_cell(std::string_view text) {
    if (text.find_first_of("\n\r,\"") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (const char c : text) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

HaproxyCheck haproxy_check(const SiteStatus& site) {
    if (!site.last_check) return kIni;
    const bool layer7 = is_layer7(site);
    if (site.last_check->ok) {
        HaproxyCheck check = layer7 ? kL7Ok : kL4Ok;
        if (layer7) check.http_code = site.last_check->http_status;
        return check;
    }
    return classify_failure(*site.last_check, layer7);
}

std::string_view haproxy_server_status(const SiteStatus& site) {
    if (site.admin_state == policy::AdminState::Maint) return "MAINT";
    if (site.health == health::Health::Down) return "DOWN";
    if (site.admin_state == policy::AdminState::Drain) return "DRAIN";
    if (site.health == health::Health::Up && site.check_kind) return "UP";
    return "no check";
}

std::string format_show_info(const Status& status) {
    std::string out;
    out += info_line("Name", "sitelb");
    out += info_line("Version", status.version);
    out += info_line("Nbthread", std::to_string(status.workers));
    out += info_line("Nbproc", "1");
    out += info_line("Process_num", "1");
    out += info_line("Pid", std::to_string(status.pid));
    out += info_line("Uptime", format_uptime(status.uptime_s));
    out += info_line("Uptime_sec", std::to_string(status.uptime_s));
    out += info_line("Maxconn", std::to_string(status.max_connections));
    out += info_line("Hard_maxconn", std::to_string(status.max_connections));
    out += info_line("CurrConns", std::to_string(status.connections_active));
    out += info_line("CumConns", std::to_string(status.connections_total));
    out += info_line("Stopping", status.stopping ? "1" : "0");
    out += info_line("Listeners", std::to_string(status.listeners.size()));
    return out;
}

std::string format_show_stat(const Status& status) {
    std::string out = "# ";
    out += kStatFieldList;
    out += ",-,\n";  // the end-of-static-fields marker, as HAProxy prints it
    for (std::size_t i = 0; i < status.listeners.size(); ++i) {
        const ListenerStatus& listener = status.listeners[i];
        const std::uint64_t iid = i + 1;
        frontend_row(out, status, listener, iid);
        for (std::size_t j = 0; j < status.sites.size(); ++j)
            server_row(out, status.sites[j], listener, iid, j + 1);
        backend_row(out, status, listener, iid);
    }
    return out;
}

Result<std::string> format_servers_state(const Status& status,
                                         const std::optional<std::string>& backend) {
    if (backend && std::none_of(status.listeners.begin(), status.listeners.end(),
                                [&](const ListenerStatus& l) { return l.name == *backend; }))
        return Error{"Can't find backend."};
    std::string out(kServersStateHeader);
    for (std::size_t i = 0; i < status.listeners.size(); ++i) {
        const ListenerStatus& l = status.listeners[i];
        if (backend && l.name != *backend) continue;
        for (std::size_t j = 0; j < status.sites.size(); ++j) {
            const SiteStatus& site = status.sites[j];
            const HaproxyCheck check = haproxy_check(site);
            // srv_op_state: SRV_ST_STOPPED 0, SRV_ST_RUNNING 2. srv_admin_state: SRV_ADMF_FMAINT
            // 0x01, SRV_ADMF_FDRAIN 0x08. srv_check_state: CHK_ST_CONFIGURED|CHK_ST_ENABLED.
            const int op_state = site.health == health::Health::Down ? 0 : 2;
            const int admin = site.admin_state == policy::AdminState::Maint   ? 0x01
                              : site.admin_state == policy::AdminState::Drain ? 0x08
                                                                              : 0;
            const int weight = site.active && usable(site) ? 1 : 0;
            const int check_state = site.check_kind ? 0x06 : 0;
            const int check_health = site.health == health::Health::Up ? 1 : 0;
            out += fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 0 0 - {} - 0 0 - - 0\n",
                               i + 1, one_word(l.name), j + 1, one_word(site.name),
                               site.address.empty() ? "-" : one_word(site.address), op_state, admin,
                               weight, weight, site.last_change_age_s, check.status_code,
                               check.result, check_health, check_state, l.target_port);
        }
    }
    return out;
}

}  // namespace lb::admin
