// Shared by the health component tests: targets built through the real config path, and
// "run one check on the loop and return its result".
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "config/config.h"
#include "health/check_target.h"
#include "health/prober.h"
#include "tests/support/loop_runner.h"

namespace lb::test {

inline config::HealthSettings health_settings(config::CheckKind kind) {
    config::HealthSettings settings;
    settings.kind = kind;
    settings.path = "/health";
    settings.host = "gateway.test";
    settings.timeout = std::chrono::seconds(2);
    return settings;
}

inline health::CheckTarget target_for(const config::HealthSettings& settings, std::uint16_t port,
                                      const char* ip = "127.0.0.1") {
    const auto address = SocketAddress::parse_ip(ip);
    REQUIRE(address.has_value());
    return health::CheckTarget::from_settings(settings, address->with_port(port));
}

// Runs one check to completion on `loop`; the prober is gone when this returns.
inline health::CheckResult run_check(TestLoop& loop, const health::CheckTarget& target,
                                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto prober = health::make_prober(loop.get(), target.kind);
    std::optional<health::CheckResult> result;
    int calls = 0;
    prober->start(target, [&](health::CheckResult r) {
        ++calls;
        result = std::move(r);
    });
    CHECK_FALSE(result.has_value());  // never reported from inside start()
    REQUIRE(loop.run_until([&] { return result.has_value(); }, limit));
    CHECK(calls == 1);
    INFO("reason: " << result->reason);
    return *result;
}

}  // namespace lb::test
