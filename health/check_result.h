// The outcome of one health check: a verdict, a short reason an operator can act on
// ("http 503", "connect refused", "timeout after 500ms (response)") and how long it took.
#pragma once

#include <chrono>
#include <string>

namespace lb::health {

struct CheckResult {
    bool ok = false;
    std::string reason{};
    // Microseconds, not the project's millisecond Duration: loopback and LAN checks take well
    // under a millisecond, and lb_health_check_duration_seconds wants the real figure.
    std::chrono::microseconds latency{0};
    bool passive = false;  // a failed connect reported by the data path, not an active check
    // The check could not run because this host is out of fds or memory: says nothing about
    // the site, so it counts neither way.
    bool inconclusive = false;

    friend bool operator==(const CheckResult&, const CheckResult&) = default;
};

}  // namespace lb::health
