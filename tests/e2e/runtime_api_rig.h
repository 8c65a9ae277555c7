// The setup of the runtime-API compatibility tests: two sites that accept connections (site-a
// on 127.0.0.2, site-b on 127.0.0.3, one port), a real HAProxy as the reference (`frontend web`,
// `backend web` with site-a active and site-b `backup`) and, as the candidate, lb with the same
// config (listener "web", the same checks) or, with LB_COMPAT_AGAINST=haproxy, a second HAProxy,
// which proves the comparison rules are not stricter than HAProxy against itself.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/e2e/ops_fixture.h"
#include "tests/support/haproxy_process.h"
#include "tests/support/lb_process.h"

namespace lb::test::compat {

// Who answers on a socket, as named in messages ("haproxy", "lb", "haproxy-2").
struct Target {
    std::string label;
    std::filesystem::path socket;
};

class CompatRig {
public:
    // Skips the test (exit 77) when haproxy is missing; otherwise starts everything and
    // REQUIREs that both programs report both servers UP within 10 s.
    CompatRig();
    ~CompatRig();
    CompatRig(const CompatRig&) = delete;
    CompatRig& operator=(const CompatRig&) = delete;

    [[nodiscard]] Target reference() const { return {"haproxy", haproxy_->socket()}; }
    [[nodiscard]] Target candidate() const;
    // Both configs and logs, for a failure message.
    [[nodiscard]] std::string diagnostics() const;

    static constexpr int kRise = 2;
    static constexpr int kFall = 3;

private:
    ops::Sites sites_;
    std::unique_ptr<HaproxyProcess> haproxy_;
    std::unique_ptr<HaproxyProcess> second_haproxy_;  // LB_COMPAT_AGAINST=haproxy
    std::unique_ptr<LbProcess> lb_;
};

// LB_COMPAT_AGAINST: "lb" (the default) or "haproxy".
[[nodiscard]] bool against_haproxy();

}  // namespace lb::test::compat
