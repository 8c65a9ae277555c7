// Why and when a proxied connection ended. The data path never throws: every failure becomes a
// Termination, from which the tcplog code and the connection error reason are derived.
#pragma once

#include <optional>
#include <string_view>

#include "lb/metrics/connection_error.h"

namespace lb {

struct Termination {
    enum class Cause {
        Normal,          // both directions finished with a FIN
        ClientReset,     // client reset or failed while we read from / wrote to it
        SiteReset,       // site reset or failed during data
        ConnectRefused,  // site refused (RST to our SYN)
        ConnectTimeout,  // no answer within timeouts.connect
        ConnectError,    // any other connect failure (unreachable, no route, ...)
        IdleTimeout,     // no byte either way for timeouts.idle
        Limit,           // over global.max_connections: accepted and closed at once
        Shutdown,        // the daemon is stopping (or the session was killed by an operator)
        NoSite,          // no site address for this connection (bad state; should not happen)
        LocalResource,   // lb itself is out of fds or memory: not the site's fault
        // accept_proxy: the client's PROXY header was invalid, did not come within
        // timeouts.connect, or the client left before sending it all.
        ProxyHeaderInvalid,
        ProxyHeaderTimeout,
        ProxyHeaderAborted,
    };
    enum class Phase { Connect, Data };

    Cause cause = Cause::Normal;
    Phase phase = Phase::Connect;
    int status = 0;  // libuv status that caused it, 0 when none

    [[nodiscard]] bool is_reset() const {
        return cause == Cause::ClientReset || cause == Cause::SiteReset;
    }
    // Errors of this host, not of the site (EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL).
    [[nodiscard]] static bool is_local_resource_error(int status);
    [[nodiscard]] bool is_connect_failure() const {
        return cause == Cause::ConnectRefused || cause == Cause::ConnectTimeout ||
               cause == Cause::ConnectError;
    }
};

// HAProxy-style two-letter termination state: who ended it, in which phase.
// "--" normal; "SC" refused; "sC" connect timeout; "cD" idle timeout; "CD"/"SD" reset during
// data; "PR" connection limit or an invalid PROXY header; "cR" no PROXY header in time; "CR" the
// client left before its PROXY header; "KD"/"KC" shutdown; "PC" lb out of resources (fds,
// memory) or no site.
[[nodiscard]] std::string_view tcplog_code(const Termination& t);

// What lb_connection_errors_total counts it as; nullopt for ends that are not errors (normal,
// idle timeout, shutdown).
[[nodiscard]] std::optional<metrics::ConnectionError> connection_error(const Termination& t);

// Human words for logs: "connection refused", "idle timeout", ...
[[nodiscard]] std::string_view describe(const Termination& t);

}  // namespace lb
