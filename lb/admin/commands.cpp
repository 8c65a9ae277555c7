// Dispatch from Command to Controller call to reply text. Names are checked where the truth is:
// sites and listeners by the Controller's current status, not by the parser.
#include "lb/admin/commands.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "lb/admin/haproxy_help.h"
#include "lb/admin/haproxy_info.h"
#include "lb/admin/haproxy_lists.h"
#include "lb/admin/haproxy_stat.h"
#include "lb/admin/status_format.h"

namespace lb::admin {
namespace {

template <typename>
inline constexpr bool kAlwaysFalse = false;

// HAProxy's error texts for the commands of its subset (src/server.c, src/proxy.c, src/cli.c).
constexpr std::array<std::string_view, 18> kHaproxyErrors = {
    "No such backend.",
    "No such server.",
    "No such proxy.",
    "Require 'backend/server'.",
    "Require <weight> or <weight%>.",
    "'set server <srv> state' expects",
    "'set server <srv> health' expects",
    "'set timeout' only supports 'cli'.",
    "Can't find backend.",
    "Unknown command",
    "usage: set server",
    "Absolute weight can only be",
    "Empty weight string",
    "Trailing garbage in weight string",
    "Relative weight must be positive.",
    "Expects an integer value.",
    "Invalid timeout value.",
    "Variable not found",
};

std::string outcome_reply(const Outcome& outcome) {
    if (!outcome.ok) return error_reply(outcome.message.empty() ? "failed" : outcome.message);
    return one_line(outcome.message.empty() ? "ok" : outcome.message) + "\n";
}

// HAProxy answers a successful `set server` with nothing, a refused one with its reason.
std::string set_server(Controller& controller, const SetServer& command) {
    if (auto error =
            haproxy::find_server_error(controller.status(), command.backend, command.server))
        return *error + "\n";
    Outcome outcome;
    switch (command.field) {
        case SetServer::Field::State:
            outcome = controller.set_site_state(command.server, command.state);
            break;
        case SetServer::Field::Health:
            outcome = controller.set_site_health(command.server, command.state);
            break;
        case SetServer::Field::Weight:
            outcome = controller.set_site_weight(command.server, command.weight);
            break;
    }
    return outcome.ok ? "" : outcome_reply(outcome);
}

std::string text_or_error(Result<std::string> text) {
    return text.ok() ? std::move(text.value()) : text.error() + "\n";
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
    return std::holds_alternative<ShowSessions>(command) ||
           std::holds_alternative<ShowSess>(command) || std::holds_alternative<Reload>(command);
}

void execute(Controller& controller, const Command& command, ReplyCallback reply) {
    std::visit(
        [&](const auto& c) {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, Help>) {
                reply(help_text());
            } else if constexpr (std::is_same_v<C, Quit> || std::is_same_v<C, Prompt> ||
                                 std::is_same_v<C, SetTimeoutCli>) {
                reply("");
            } else if constexpr (std::is_same_v<C, Empty>) {
                reply(unknown_command_text(""));
            } else if constexpr (std::is_same_v<C, Unknown>) {
                reply(unknown_command_text(c.verb));
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
            } else if constexpr (std::is_same_v<C, ShowSess>) {
                controller.sessions([reply = std::move(reply)](std::vector<SessionInfo> list) {
                    reply(haproxy::format_sess(list));
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
                reply(haproxy::format_show_info(controller.status(), c.format));
            } else if constexpr (std::is_same_v<C, ShowStat>) {
                reply(text_or_error(haproxy::format_show_stat(controller.status(), c)));
            } else if constexpr (std::is_same_v<C, ShowServersState>) {
                reply(text_or_error(haproxy::format_servers_state(controller.status(), c.backend)));
            } else if constexpr (std::is_same_v<C, ShowServersConn>) {
                reply(text_or_error(haproxy::format_servers_conn(controller.status(), c.backend)));
            } else if constexpr (std::is_same_v<C, ShowBackend>) {
                reply(haproxy::format_backends(controller.status()));
            } else if constexpr (std::is_same_v<C, ShowEnv>) {
                // sitelb exposes no environment variables (HAProxy's list is for its config).
                reply(c.variable ? "Variable not found\n" : "");
            } else if constexpr (std::is_same_v<C, ShowVersion>) {
                reply(controller.status().version + "\n");
            } else if constexpr (std::is_same_v<C, GetWeight>) {
                reply(text_or_error(
                    haproxy::format_weight(controller.status(), c.backend, c.server)));
            } else if constexpr (std::is_same_v<C, SetServer>) {
                reply(set_server(controller, c));
            } else if constexpr (std::is_same_v<C, ShowPeer>) {
                reply(format_peer(controller.status(), c.format));
            } else if constexpr (std::is_same_v<C, PeerStepDown>) {
                reply(outcome_reply(controller.peer_step_down()));
            } else if constexpr (std::is_same_v<C, PeerForceMaster>) {
                reply(outcome_reply(controller.peer_force_master()));
            } else {
                static_assert(kAlwaysFalse<C>, "every command needs a case");
            }
        },
        command);
}

}  // namespace lb::admin
