// Dispatch from Command to Controller call to reply text. Names are checked where the truth is:
// sites and listeners by the Controller's current status, not by the parser.
#include "lb/admin/commands.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "lb/admin/haproxy_format.h"
#include "lb/admin/status_format.h"

namespace lb::admin {
namespace {

template <typename>
inline constexpr bool kAlwaysFalse = false;

// HAProxy's error texts for the commands of its subset (src/server.c, src/proxy.c).
constexpr std::array<std::string_view, 5> kHaproxyErrors = {
    "No such backend.", "No such server.", "Require 'backend/server'.",
    "'set server <srv> state' expects", "Can't find backend."};

std::string outcome_reply(const Outcome& outcome) {
    if (!outcome.ok) return error_reply(outcome.message.empty() ? "failed" : outcome.message);
    return one_line(outcome.message.empty() ? "ok" : outcome.message) + "\n";
}

std::string set_server_state(Controller& controller, const SetServerState& command) {
    const Status status = controller.status();
    const bool backend_known =
        std::any_of(status.listeners.begin(), status.listeners.end(),
                    [&](const ListenerStatus& l) { return l.name == command.backend; });
    if (!backend_known) return "No such backend.\n";
    const bool server_known =
        std::any_of(status.sites.begin(), status.sites.end(),
                    [&](const SiteStatus& s) { return s.name == command.server; });
    if (!server_known) return "No such server.\n";
    const Outcome outcome = controller.set_site_state(command.server, command.state);
    return outcome.ok ? "" : outcome_reply(outcome);  // HAProxy answers success with nothing
}

}  // namespace

std::string error_reply(std::string_view message) {
    std::string line = one_line(message);
    if (!line.starts_with("error:")) line = "error: " + line;
    return line + "\n";
}

bool is_error_reply(std::string_view body) {
    if (body.starts_with("error:")) return true;
    return std::any_of(kHaproxyErrors.begin(), kHaproxyErrors.end(),
                       [&](std::string_view text) { return body.starts_with(text); });
}

bool is_async(const Command& command) {
    return std::holds_alternative<ShowSessions>(command) || std::holds_alternative<Reload>(command);
}

std::string help_text() {
    return "lb admin commands (one per line; the reply ends with an empty line):\n"
           "  help                                  this list\n"
           "  show status [json]                    active site, pin, peer role, sites, "
           "listeners\n"
           "  show sites [json]                     per-site health, state and counters\n"
           "  show listeners [json]                 per-listener counters\n"
           "  show sessions [json]                  open connections\n"
           "  pin SITE [--kill]                     make SITE active regardless of health;\n"
           "                                        --kill closes sessions on the other site\n"
           "  unpin                                 let health decide again\n"
           "  failback                              switch back to the primary if it is up\n"
           "  set site SITE state ready|drain|maint\n"
           "  reload                                re-read the config file (as SIGHUP)\n"
           "  quit                                  close this connection\n"
           "HAProxy runtime-API subset (listener = backend, site = server):\n"
           "  show info | show stat | show servers state [BACKEND]\n"
           "  set server BACKEND/SITE state ready|drain|maint\n"
           "  disable server BACKEND/SITE | enable server BACKEND/SITE\n";
}

void execute(Controller& controller, const Command& command, ReplyCallback reply) {
    std::visit(
        [&](const auto& c) {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, Help>) {
                reply(help_text());
            } else if constexpr (std::is_same_v<C, Empty> || std::is_same_v<C, Quit>) {
                reply("");
            } else if constexpr (std::is_same_v<C, ShowStatus>) {
                reply(format_status(controller.status(), c.format));
            } else if constexpr (std::is_same_v<C, ShowSites>) {
                reply(format_sites(controller.status(), c.format));
            } else if constexpr (std::is_same_v<C, ShowListeners>) {
                reply(format_listeners(controller.status(), c.format));
            } else if constexpr (std::is_same_v<C, ShowSessions>) {
                controller.sessions(
                    [reply = std::move(reply), format = c.format](std::vector<SessionInfo> list) {
                        reply(format_sessions(list, format));
                    });
            } else if constexpr (std::is_same_v<C, Pin>) {
                reply(outcome_reply(controller.pin(c.site, c.kill_other_sessions)));
            } else if constexpr (std::is_same_v<C, Unpin>) {
                reply(outcome_reply(controller.unpin()));
            } else if constexpr (std::is_same_v<C, Failback>) {
                reply(outcome_reply(controller.failback()));
            } else if constexpr (std::is_same_v<C, SetSiteState>) {
                reply(outcome_reply(controller.set_site_state(c.site, c.state)));
            } else if constexpr (std::is_same_v<C, Reload>) {
                controller.reload(
                    [reply = std::move(reply)](Outcome outcome) { reply(outcome_reply(outcome)); });
            } else if constexpr (std::is_same_v<C, ShowInfo>) {
                reply(format_show_info(controller.status()));
            } else if constexpr (std::is_same_v<C, ShowStat>) {
                reply(format_show_stat(controller.status()));
            } else if constexpr (std::is_same_v<C, ShowServersState>) {
                auto text = format_servers_state(controller.status(), c.backend);
                reply(text.ok() ? std::move(text.value()) : text.error() + "\n");
            } else if constexpr (std::is_same_v<C, SetServerState>) {
                reply(set_server_state(controller, c));
            } else {
                static_assert(kAlwaysFalse<C>, "every command needs a case");
            }
        },
        command);
}

}  // namespace lb::admin
