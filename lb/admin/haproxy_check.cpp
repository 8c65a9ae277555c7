#include "lb/admin/haproxy_check.h"

#include <fmt/format.h>

namespace lb::admin::haproxy {
namespace {

// src/check.c check_statuses[]: name, description, HCHK_STATUS_* value and CHK_RES_*.
constexpr CheckStatus kIni{"INI", "Initializing", 1, 0, {}};
constexpr CheckStatus kUnk{"UNK", "Unknown", 0, 0, {}};
constexpr CheckStatus kSockErr{"SOCKERR", "Socket error", 5, 2, {}};
constexpr CheckStatus kL4Ok{"L4OK", "Layer4 check passed", 6, 3, {}};
constexpr CheckStatus kL4Tout{"L4TOUT", "Layer4 timeout", 7, 2, {}};
constexpr CheckStatus kL4Con{"L4CON", "Layer4 connection problem", 8, 2, {}};
constexpr CheckStatus kL6Tout{"L6TOUT", "Layer6 timeout", 10, 2, {}};
constexpr CheckStatus kL6Rsp{"L6RSP", "Layer6 invalid response", 11, 2, {}};
constexpr CheckStatus kL7Tout{"L7TOUT", "Layer7 timeout", 12, 2, {}};
constexpr CheckStatus kL7Rsp{"L7RSP", "Layer7 invalid response", 13, 2, {}};
constexpr CheckStatus kL7Ok{"L7OK", "Layer7 check passed", 15, 3, {}};
constexpr CheckStatus kL7Sts{"L7STS", "Layer7 wrong status", 17, 2, {}};

CheckStatus classify(const CheckSummary& check, bool layer7) {
    using health::CheckCause;
    switch (check.cause) {
        case CheckCause::Passed:
        case CheckCause::Forced:
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
            CheckStatus out = kL7Sts;
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

}  // namespace

bool is_layer7(const SiteStatus& site) {
    return site.check_kind == config::CheckKind::Http ||
           site.check_kind == config::CheckKind::Https;
}

CheckStatus check_status(const SiteStatus& site) {
    if (!site.last_check) return kIni;
    const bool layer7 = is_layer7(site);
    if (site.last_check->ok) {
        CheckStatus check = layer7 ? kL7Ok : kL4Ok;
        if (layer7) check.http_code = site.last_check->http_status;
        return check;
    }
    return classify(*site.last_check, layer7);
}

int check_health(const SiteStatus& site) {
    if (site.admin_state == policy::AdminState::Maint) return 0;  // HAProxy resets it
    if (site.health == health::Health::Up)
        return site.rise + site.fall - 1 - site.consecutive_failures;
    return site.consecutive_successes;
}

std::string server_status(const SiteStatus& site) {
    if (site.admin_state == policy::AdminState::Maint) return "MAINT";
    // HAProxy: weight 0 leaves the status alone, `health stopping` reads NOLB.
    const bool drained =
        site.admin_state == policy::AdminState::Drain && site.drain_cause != DrainCause::Weight;
    const std::string up = !drained                                   ? "UP"
                           : site.drain_cause == DrainCause::Stopping ? "NOLB"
                                                                      : "DRAIN";
    if (!site.check_kind || site.health == health::Health::Unknown)
        return drained ? up : "no check";
    if (site.health == health::Health::Down) {
        if (site.consecutive_successes > 0)
            return fmt::format("DOWN {}/{}", site.consecutive_successes, site.rise);
        return "DOWN";
    }
    if (site.consecutive_failures > 0)
        return fmt::format("{} {}/{}", up, site.fall - site.consecutive_failures, site.fall);
    return up;
}

std::uint16_t server_port(const ListenerStatus& listener, std::size_t site_index) {
    return site_index < listener.site_ports.size() ? listener.site_ports[site_index]
                                                   : listener.target_port;
}

bool running(const SiteStatus& site) {
    return site.admin_state != policy::AdminState::Maint && site.health != health::Health::Down;
}

bool usable(const SiteStatus& site) {
    return running(site) && site.admin_state == policy::AdminState::Ready && site.weight > 0;
}

}  // namespace lb::admin::haproxy
