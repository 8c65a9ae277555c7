#include "lb/admin/haproxy_help.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "config/edit_distance.h"

namespace lb::admin {
namespace {

// Sorted by usage. The HAProxy commands keep HAProxy 2.6's text (src/cli.c, src/server.c,
// src/stats.c, ...), so a runbook's `help | grep` finds what it expects.
constexpr std::array<HelpLine, 26> kCommands = {{
    {"disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)"},
    {"enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)"},
    {"failback", "make the primary site active again if it is up (sitelb)"},
    {"get weight <bk>/<srv>", "report a server's current weight"},
    {"peer force-master", "take the virtual IP without quorum, two of three nodes gone (sitelb)"},
    {"peer step-down", "hand the virtual IP to the peer, for maintenance (sitelb)"},
    {"pin <site> [--kill]", "make <site> active whatever its health (sitelb)"},
    {"reload", "re-read the config file, as SIGHUP (sitelb)"},
    {"set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl"},
    {"set site <site> state <state>", "set a site ready, drain or maint (sitelb)"},
    {"set timeout [cli] <delay>", "change a timeout setting"},
    {"set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)"},
    {"show backend", "list backends in the current running config"},
    {"show env [var]", "dump environment variables known to the process"},
    {"show info [desc|json|typed|float]*", "report information about the running process"},
    {"show listeners [json]", "per-listener counters (sitelb)"},
    {"show peer [json]", "the peer pair: role, VIP, the peer's last advert (sitelb)"},
    {"show servers conn [<backend>]",
     "dump server connections status (all or for a single backend)"},
    {"show servers state [<backend>]",
     "dump volatile server information (all or for a single backend)"},
    {"show sess [id]", "report the list of current sessions or dump this exact session"},
    {"show sessions [json]", "open connections with their site and age (sitelb)"},
    {"show sites [json]", "per-site health, admin state and counters (sitelb)"},
    {"show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"},
    {"show status [json]", "active site, pin, epoch, peer role, sites, listeners (sitelb)"},
    {"show version", "show version of the current process"},
    {"unpin", "let health decide the active site again (sitelb)"},
}};

// Always last, as in HAProxy.
constexpr std::array<HelpLine, 3> kSessionCommands = {{
    {"help [<command>]", "list matching or all commands"},
    {"prompt", "toggle interactive mode with prompt"},
    {"quit", "disconnect"},
}};

std::string line(const HelpLine& help) {
    return fmt::format("  {:<40}: {}\n", help.usage, help.description);
}

std::string session_lines() {
    std::string out;
    for (const HelpLine& help : kSessionCommands) out += line(help);
    return out;
}

std::string all_lines(std::span<const HelpLine> commands) {
    std::string out;
    for (const HelpLine& help : commands) out += line(help);
    return out + session_lines();
}

std::string_view first_word(std::string_view usage) { return usage.substr(0, usage.find(' ')); }

}  // namespace

std::string help_text() { return help_text(kCommands); }

std::string unknown_command_text(std::string_view verb) {
    return unknown_command_text(verb, kCommands);
}

std::string help_text(std::span<const HelpLine> commands) {
    return "The following commands are valid at this level:\n" + all_lines(commands);
}

std::string unknown_command_text(std::string_view verb, std::span<const HelpLine> commands) {
    if (verb.empty())
        return "Unknown command. Please enter one of the following commands only:\n" +
               all_lines(commands);
    // The five commands whose first word is nearest to the verb.
    std::vector<std::pair<std::size_t, std::size_t>> ranked;  // distance, index
    for (std::size_t i = 0; i < commands.size(); ++i)
        ranked.emplace_back(config::edit_distance(verb, first_word(commands[i].usage)), i);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    ranked.resize(std::min<std::size_t>(ranked.size(), 5));
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    std::string out = "Unknown command, but maybe one of the following ones is a better match:\n";
    for (const auto& [distance, index] : ranked) out += line(commands[index]);
    return out + session_lines();
}

}  // namespace lb::admin
