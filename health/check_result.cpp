#include "health/check_result.h"

namespace lb::health {

std::string describe(const CheckResult& result) {
    if (result.origin == CheckOrigin::Passive) return "passive: " + result.reason;
    return result.reason;
}

std::string_view to_string(CheckCause cause) {
    switch (cause) {
        case CheckCause::Passed:
            return "passed";
        case CheckCause::ConnectRefused:
            return "connect_refused";
        case CheckCause::ConnectTimeout:
            return "connect_timeout";
        case CheckCause::ConnectError:
            return "connect_error";
        case CheckCause::SocketError:
            return "socket_error";
        case CheckCause::TlsTimeout:
            return "tls_timeout";
        case CheckCause::TlsError:
            return "tls_error";
        case CheckCause::ResponseTimeout:
            return "response_timeout";
        case CheckCause::BadResponse:
            return "bad_response";
        case CheckCause::BadStatus:
            return "bad_status";
        case CheckCause::BodyMismatch:
            return "body_mismatch";
        case CheckCause::BadTarget:
            return "bad_target";
        case CheckCause::Cancelled:
            return "cancelled";
        case CheckCause::Forced:
            return "forced";
    }
    return "passed";
}

}  // namespace lb::health
