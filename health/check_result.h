// The outcome of one health check: a verdict, its typed cause (what HAProxy's check_status and
// the metrics derive from), the words an operator reads ("http 503", "connect refused",
// "timeout after 500ms (response)") and how long it took. Causes travel as the enum; the text is
// only ever written, never parsed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lb::health {

enum class CheckCause {
    Passed,           // the check succeeded
    ConnectRefused,   // RST to our SYN
    ConnectTimeout,   // no answer to the connect in time
    ConnectError,     // any other connect failure (unreachable, no route, ...)
    SocketError,      // this host could not make the socket
    TlsTimeout,       // the TLS handshake did not finish in time
    TlsError,         // the TLS handshake or record layer failed
    ResponseTimeout,  // connected (and handshaken), but no complete reply in time
    BadResponse,      // reset, malformed or truncated reply
    BadStatus,        // an HTTP status outside expect_status
    BodyMismatch,     // expect_body not found in the body
    BadTarget,        // the check cannot run as configured
    Cancelled,        // abandoned before a verdict (reload)
    Forced,           // set by the operator (`set server B/S health up|down`), not checked
};

// Active: a probe of ours. Passive: a client connection the data path could not open.
enum class CheckOrigin { Active, Passive };

struct CheckResult {
    bool ok = false;
    CheckCause cause = CheckCause::Passed;
    std::string reason{};  // operator words, without the origin: "http 503", "connect refused"
    // Microseconds, not the project's millisecond Duration: loopback and LAN checks take well
    // under a millisecond, and lb_health_check_duration_seconds wants the real figure.
    std::chrono::microseconds latency{0};
    CheckOrigin origin = CheckOrigin::Active;
    std::optional<int> http_status{};  // the reply's status, when one was parsed
    // The check could not run because this host is out of fds or memory: says nothing about
    // the site, so it counts neither way.
    bool inconclusive = false;

    [[nodiscard]] bool passive() const { return origin == CheckOrigin::Passive; }

    friend bool operator==(const CheckResult&, const CheckResult&) = default;
};

// What an operator reads in logs and status output: the reason, prefixed "passive: " for a
// failure seen by the data path.
[[nodiscard]] std::string describe(const CheckResult& result);

[[nodiscard]] std::string_view to_string(CheckCause cause);

}  // namespace lb::health
