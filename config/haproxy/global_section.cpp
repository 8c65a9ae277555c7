#include "config/haproxy/global_section.h"

#include <string>
#include <string_view>
#include <variant>

#include "config/haproxy/directive_words.h"
#include "config/haproxy/values.h"

namespace lb::config::haproxy {
namespace {

void read_stats_socket(const Directive& d, HaproxyGlobal& global, ImportDiagnostics& out) {
    if (global.stats_socket) {
        out.warning(d.line, quoted(d.text()) + ": lb has one admin socket, the first one (line " +
                                std::to_string(global.stats_socket->line) + "); ignored");
        return;
    }
    std::string path(d.word(2));
    if (path.starts_with("unix@")) path = path.substr(5);
    const bool tcp = path.find('@') != std::string::npos ||
                     std::holds_alternative<SocketAddress>(parse_bind_address(path));
    if (path.empty() || tcp) {
        out.warning(d.line, quoted(d.text()) +
                                ": lb's admin socket is a Unix socket; lb's default path is kept");
        return;
    }
    global.stats_socket = Located<std::string>{path, d.line};
    for (std::size_t i = 3; i < d.words.size(); ++i) {
        const std::string& option = d.words[i];
        const std::string_view value = d.word(i + 1);
        if (option == "mode") {
            ++i;
            const auto mode = value.size() <= 4 && !value.empty() &&
                                      value.find_first_not_of("01234567") == std::string_view::npos
                                  ? parse_integer(value, 0, 07777)
                                  : std::nullopt;
            if (!mode) {
                out.warning(d.line, "stats socket mode " + std::string(value) +
                                        ": not an octal mode; lb's default is kept");
                continue;
            }
            // The digits are octal: "660" is 0660.
            unsigned octal = 0;
            for (const char c : value) octal = octal * 8 + static_cast<unsigned>(c - '0');
            global.stats_socket_mode = Located<unsigned>{octal, d.line};
        } else if (option == "level") {
            ++i;
            if (value != "admin")
                out.warning(d.line, "stats socket level " + std::string(value) +
                                        ": lb's admin socket gives every client every command "
                                        "(level admin); protect it with its mode");
        } else if (option == "expose-fd") {
            ++i;
            out.warning(d.line, "stats socket expose-fd " + std::string(value) +
                                    ": lb reloads in place (SIGHUP), it hands no sockets over; "
                                    "ignored");
        } else {
            const bool has_value = contains(kBindOptionsWithValue, option);
            out.warning(d.line, "stats socket option " +
                                    quoted(has_value ? option + " " + std::string(value) : option) +
                                    " has no equivalent in lb; ignored");
            if (has_value) ++i;
        }
    }
}

}  // namespace

void read_global(const Section& section, HaproxyGlobal& global, ImportDiagnostics& out) {
    for (const Directive& d : section.directives) {
        const std::string& keyword = d.keyword();
        if (keyword == "maxconn") {
            if (const auto value = parse_integer(d.word(1), 1, kIntMax))
                global.maxconn = Located<int>{static_cast<int>(*value), d.line};
            else
                out.warning(d.line, quoted(d.text()) + ": not a positive integer; ignored");
        } else if (keyword == "nbthread") {
            if (const auto value = parse_integer(d.word(1), 1, 1024))
                global.nbthread = Located<int>{static_cast<int>(*value), d.line};
            else
                out.warning(d.line, quoted(d.text()) + ": not a thread count (1..1024); ignored");
        } else if (keyword == "stats" && d.word(1) == "socket") {
            read_stats_socket(d, global, out);
        } else if (keyword == "stats" && d.word(1) == "timeout") {
            out.warning(d.line, quoted(d.text()) +
                                    ": lb's admin sessions time out as set with 'set timeout cli'; "
                                    "ignored");
        } else {
            out.warning(d.line, ignored(d, keyword));
        }
    }
}

}  // namespace lb::config::haproxy
