#include "lb/admin/haproxy_lists.h"

#include <fmt/format.h>

#include <algorithm>

#include "lb/admin/haproxy_check.h"
#include "lb/admin/haproxy_stat.h"

namespace lb::admin::haproxy {
namespace {

// include/haproxy/server-t.h: SRV_STATE_FILE_VERSION and SRV_STATE_FILE_FIELD_NAMES.
constexpr std::string_view kServersStateHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

// HAProxy's server and check state bits (include/haproxy/server-t.h, check-t.h).
constexpr int kOpStopped = 0, kOpRunning = 2, kOpStopping = 3;
constexpr int kAdminForcedMaint = 0x01, kAdminForcedDrain = 0x08;
constexpr int kCheckConfigured = 0x02, kCheckEnabled = 0x04, kCheckPaused = 0x08;

bool has_backend(const Status& status, const std::string& name) {
    return std::any_of(status.listeners.begin(), status.listeners.end(),
                       [&](const ListenerStatus& l) { return l.name == name; });
}

// `show servers state` is space-separated: a name never contains a space or control byte there.
std::string one_word(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '_';
    return out.empty() ? "-" : out;
}

std::string servers_state_row(std::size_t index, const ListenerStatus& l, std::size_t sid,
                              const SiteStatus& site) {
    const CheckStatus check = check_status(site);
    const bool maint = site.admin_state == policy::AdminState::Maint;
    const bool drain = site.admin_state == policy::AdminState::Drain;
    const int op_state = !running(site)                                      ? kOpStopped
                         : drain && site.drain_cause == DrainCause::Stopping ? kOpStopping
                                                                             : kOpRunning;
    const int admin = maint                                               ? kAdminForcedMaint
                      : drain && site.drain_cause == DrainCause::Operator ? kAdminForcedDrain
                                                                          : 0;
    int check_state = 0;
    if (site.check_kind)
        check_state = kCheckConfigured | kCheckEnabled | (maint ? kCheckPaused : 0);
    return fmt::format("{} {} {} {} {} {} {} {} 1 {} {} {} {} {} 0 0 0 - {} - 0 0 - - 0\n",
                       backend_iid(index), one_word(l.name), sid, one_word(site.name),
                       one_word(site.address), op_state, admin, site.weight, site.last_change_age_s,
                       check.status_code, check.result, std::max(0, check_health(site)),
                       check_state, server_port(l, sid - 1));
}

}  // namespace

std::optional<std::string> find_server_error(const Status& status, const std::string& backend,
                                             const std::string& server) {
    if (!has_backend(status, backend)) return "No such backend.";
    if (std::none_of(status.sites.begin(), status.sites.end(),
                     [&](const SiteStatus& s) { return s.name == server; }))
        return "No such server.";
    return std::nullopt;
}

std::string format_backends(const Status& status) {
    std::string out = "# name\n";
    for (const ListenerStatus& l : status.listeners) out += l.name + "\n";
    return out;
}

Result<std::string> format_servers_state(const Status& status,
                                         const std::optional<std::string>& backend) {
    if (backend && !has_backend(status, *backend)) return Error{"Can't find backend."};
    std::string out(kServersStateHeader);
    for (std::size_t i = 0; i < status.listeners.size(); ++i) {
        const ListenerStatus& l = status.listeners[i];
        if (backend && l.name != *backend) continue;
        for (std::size_t j = 0; j < status.sites.size(); ++j)
            out += servers_state_row(i, l, j + 1, status.sites[j]);
    }
    return out;
}

Result<std::string> format_servers_conn(const Status& status,
                                        const std::optional<std::string>& backend) {
    if (backend && !has_backend(status, *backend)) return Error{"Can't find backend."};
    std::string out = fmt::format(
        "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb "
        "safe_nb idle_lim idle_cur idle_per_thr[{}]\n",
        status.workers);
    // sitelb keeps no idle server connections: the pool columns are HAProxy's empty-pool values.
    std::string idle_per_thread;
    for (std::size_t w = 0; w < status.workers; ++w) idle_per_thread += " 0";
    for (std::size_t i = 0; i < status.listeners.size(); ++i) {
        const ListenerStatus& l = status.listeners[i];
        if (backend && l.name != *backend) continue;
        for (std::size_t j = 0; j < status.sites.size(); ++j) {
            const SiteStatus& site = status.sites[j];
            out += fmt::format("{}/{} {}/{} {} {} - 5000 {} {} 0 0 0 -1 0{}\n", one_word(l.name),
                               one_word(site.name), backend_iid(i), j + 1, one_word(site.address),
                               server_port(l, j), site.connections_active, site.connections_max,
                               idle_per_thread);
        }
    }
    return out;
}

std::string format_sess(const std::vector<SessionInfo>& sessions) {
    std::string out;
    for (const SessionInfo& s : sessions) {
        const bool v6 = s.client.starts_with("[");
        out += fmt::format("0x{:x}: proto={} src={} fe={} be={} srv={} ts=00 age={}s\n", s.id,
                           v6 ? "tcpv6" : "tcpv4", one_word(s.client), one_word(s.listener),
                           one_word(s.listener), s.site == "-" ? "<none>" : one_word(s.site),
                           s.age_ms / 1000);
    }
    return out;
}

Result<std::string> format_weight(const Status& status, const std::string& backend,
                                  const std::string& server) {
    if (auto error = find_server_error(status, backend, server)) return Error{*error};
    const auto site = std::find_if(status.sites.begin(), status.sites.end(),
                                   [&](const SiteStatus& s) { return s.name == server; });
    return fmt::format("{} (initial 1)\n", site->weight);
}

}  // namespace lb::admin::haproxy
