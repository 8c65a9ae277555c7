#include "lb/proxy/termination.h"

#include <uv.h>

namespace lb {

using Cause = Termination::Cause;

bool Termination::is_local_resource_error(int status) {
    // EADDRNOTAVAIL: no local port left towards that site (e.g. TIME_WAIT), not the site's fault.
    // ENOSPC: the epoll watch limit (fs.epoll.max_user_watches) is reached.
    return status == UV_EMFILE || status == UV_ENFILE || status == UV_ENOBUFS ||
           status == UV_ENOMEM || status == UV_EADDRNOTAVAIL || status == UV_ENOSPC;
}

std::string_view tcplog_code(const Termination& t) {
    const bool data = t.phase == Termination::Phase::Data;
    switch (t.cause) {
        case Cause::Normal:
            return "--";
        case Cause::ClientReset:
            return data ? "CD" : "CC";
        case Cause::SiteReset:
            return data ? "SD" : "SC";
        case Cause::ConnectRefused:
            return "SC";
        case Cause::ConnectTimeout:
            return "sC";
        case Cause::ConnectError:
            return "SC";
        case Cause::IdleTimeout:
            return "cD";
        case Cause::Limit:
            return "PR";
        case Cause::Shutdown:
            return data ? "KD" : "KC";
        case Cause::NoSite:
        case Cause::LocalResource:
            return "PC";
        case Cause::ProxyHeaderInvalid:
            return "PR";
        case Cause::ProxyHeaderTimeout:
            return "cR";
        case Cause::ProxyHeaderAborted:
            return "CR";
    }
    return "--";
}

std::optional<metrics::ConnectionError> connection_error(const Termination& t) {
    using metrics::ConnectionError;
    switch (t.cause) {
        case Cause::ConnectRefused:
        case Cause::ConnectError:
            return ConnectionError::ConnectRefused;
        case Cause::ConnectTimeout:
            return ConnectionError::ConnectTimeout;
        case Cause::ClientReset:
        case Cause::SiteReset:
            return ConnectionError::Reset;
        case Cause::Limit:
        case Cause::LocalResource:
            return ConnectionError::Limit;
        case Cause::ProxyHeaderInvalid:
        case Cause::ProxyHeaderTimeout:
        case Cause::ProxyHeaderAborted:
            return ConnectionError::ProxyHeader;
        default:
            return std::nullopt;
    }
}

std::string_view describe(const Termination& t) {
    switch (t.cause) {
        case Cause::Normal:
            return "closed";
        case Cause::ClientReset:
            return "client reset";
        case Cause::SiteReset:
            return "site reset";
        case Cause::ConnectRefused:
            return "connection refused";
        case Cause::ConnectTimeout:
            return "connect timeout";
        case Cause::ConnectError:
            return "connect error";
        case Cause::IdleTimeout:
            return "idle timeout";
        case Cause::Limit:
            return "connection limit";
        case Cause::Shutdown:
            return "shutdown";
        case Cause::NoSite:
            return "no site";
        case Cause::LocalResource:
            return "out of local resources";
        case Cause::ProxyHeaderInvalid:
            return "invalid PROXY header";
        case Cause::ProxyHeaderTimeout:
            return "no PROXY header in time";
        case Cause::ProxyHeaderAborted:
            return "client left before its PROXY header";
    }
    return "closed";
}

}  // namespace lb
