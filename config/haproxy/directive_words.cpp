#include "config/haproxy/directive_words.h"

namespace lb::config::haproxy {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string reason_for(std::string_view keyword) {
    if (keyword == "acl") return "lb makes no per-connection decisions (no ACLs)";
    if (keyword == "balance")
        return "lb sends every connection to the active site; there is nothing to balance";
    if (keyword == "stick-table" || keyword == "stick" || keyword == "stick on" ||
        keyword == "stick match" || keyword == "stick store-request")
        return "lb has no stick tables: every connection goes to the active site";
    if (keyword == "http-request" || keyword == "http-response" ||
        keyword == "http-after-response" || keyword == "http-reuse" || keyword == "compression" ||
        keyword == "capture" || keyword == "cookie" || keyword == "errorfile" ||
        keyword == "errorloc" || keyword == "redirect" || keyword == "monitor-uri" ||
        keyword == "http-error" || keyword == "errorfiles" || keyword == "filter" ||
        keyword == "unique-id-format" || keyword == "unique-id-header")
        return "HTTP processing: lb forwards the connection's bytes as they are";
    if (keyword == "tcp-request" || keyword == "tcp-response") return "lb has no connection rules";
    if (keyword == "log" || keyword == "log-format" || keyword == "log-tag" ||
        keyword == "error-log-format" || keyword == "log-format-sd" ||
        keyword == "log-send-hostname")
        return "lb logs every connection in its own tcplog-like format to stderr (journald under "
               "systemd)";
    if (keyword == "daemon" || keyword == "master-worker" || keyword == "user" ||
        keyword == "group" || keyword == "uid" || keyword == "gid" || keyword == "chroot" ||
        keyword == "pidfile")
        return "lb runs in the foreground under its service manager, which sets its user";
    if (keyword == "fullconn" || keyword == "hash-type" || keyword == "hash-balance-factor")
        return "lb sends every connection to the active site";
    if (keyword == "persist" || keyword == "use-server" || keyword == "force-persist" ||
        keyword == "ignore-persist")
        return "lb has no persistence rules: every connection goes to the active site";
    return {};
}

std::string ignored(const Directive& d, std::string_view keyword) {
    const std::string reason = reason_for(keyword);
    return quoted(d.text()) + ": " + (reason.empty() ? "no equivalent in lb" : reason) +
           "; ignored";
}

}  // namespace lb::config::haproxy
