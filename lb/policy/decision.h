// The failover policy's vocabulary and output: which site takes new connections, whether an
// operator pinned it, and the epoch that orders decisions across restarts and peers.
// Invariant: a pinned site is the active site; the epoch never goes down.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "health/check_state.h"

namespace lb::policy {

// Sites are indices: 0 is the primary, 1 the standby (config::Config::sites has the same order).
using SiteIndex = std::size_t;
inline constexpr SiteIndex kPrimary = 0;
inline constexpr SiteIndex kStandby = 1;
inline constexpr std::size_t kSiteCount = 2;
using SiteNames = std::array<std::string, kSiteCount>;

[[nodiscard]] constexpr SiteIndex other_site(SiteIndex site) {
    return site == kPrimary ? kStandby : kPrimary;
}

// What the health checks say: health/'s own verdict type, so one enum names a site's health
// everywhere. Unknown until the first verdict: never a reason to move.
using SiteHealth = health::Health;

// What the operator says (`set site SITE state ...`). Drain and Maint make a site ineligible for
// new connections; the policy leaves it when the other site is up and ready.
enum class AdminState { Ready, Drain, Maint };

// Why the decision changed. The first four are the documented `reason` label of
// lb_failovers_total; `Admin` is an addition: the operator set the active site to drain/maint.
enum class TransitionReason { Health, Pin, Failback, Peer, Admin };

// The state that is persisted, advertised to the peer and published to the workers.
struct Decision {
    SiteIndex active = kPrimary;
    std::optional<SiteIndex> pinned;  // set: equals `active`; health is ignored until unpin
    std::uint64_t epoch = 0;          // +1 on every change of `active` or `pinned`

    friend bool operator==(const Decision&, const Decision&) = default;
};

// One change of the Decision, returned by the call that caused it: persist the new decision and
// log `detail`. A pin or unpin that keeps the active site is a transition but not a failover.
struct Transition {
    SiteIndex from = kPrimary;
    SiteIndex to = kPrimary;
    TransitionReason reason = TransitionReason::Health;
    std::string detail;  // for operators: "site-a down (connect refused ×3); site-b up"

    // Counts in lb_failovers_total{from,to,reason}.
    [[nodiscard]] bool is_failover() const { return from != to; }
};

[[nodiscard]] constexpr std::string_view to_string(AdminState state) {
    switch (state) {
        case AdminState::Ready:
            return "ready";
        case AdminState::Drain:
            return "drain";
        case AdminState::Maint:
            return "maint";
    }
    return "ready";
}

[[nodiscard]] constexpr std::string_view to_string(TransitionReason reason) {
    switch (reason) {
        case TransitionReason::Health:
            return "health";
        case TransitionReason::Pin:
            return "pin";
        case TransitionReason::Failback:
            return "failback";
        case TransitionReason::Peer:
            return "peer";
        case TransitionReason::Admin:
            return "admin";
    }
    return "health";
}

// "ready" | "drain" | "maint", as the admin commands spell them.
[[nodiscard]] constexpr std::optional<AdminState> parse_admin_state(std::string_view text) {
    for (AdminState state : {AdminState::Ready, AdminState::Drain, AdminState::Maint})
        if (text == to_string(state)) return state;
    return std::nullopt;
}

}  // namespace lb::policy
