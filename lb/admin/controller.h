// Everything the operator surfaces (admin socket, `lb ctl`, status page, /status.json) may see
// or do, as one narrow interface implemented by the daemon on the main loop. Admin code acts
// only through it. All calls happen on the main loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "health/check_result.h"
#include "health/check_state.h"
#include "lb/policy/decision.h"

namespace lb::admin {

// Typed values throughout: the formats (text, JSON, HAProxy's CSV, the status page) spell them.
struct CheckSummary {
    bool ok = false;
    health::CheckCause cause = health::CheckCause::Passed;  // HAProxy's check_status
    std::optional<int> http_status;                         // HAProxy's check_code
    std::string reason;  // health::describe(): "http 200", "connect refused", "timeout after 500ms"
    double latency_ms = 0;
    std::uint64_t age_ms = 0;  // since the check finished
};

// Why a site in drain is drained: the operator's `state drain`, or HAProxy's spellings of it,
// which HAProxy shows differently (weight 0 stays "UP", `health stopping` reads "NOLB").
enum class DrainCause { None, Operator, Weight, Stopping };

struct SiteStatus {
    std::string name;
    config::SiteRole role = config::SiteRole::Primary;
    std::string address;  // "10.0.0.11"
    health::Health health = health::Health::Unknown;
    policy::AdminState admin_state = policy::AdminState::Ready;
    DrainCause drain_cause = DrainCause::None;  // set while admin_state is Drain
    bool active = false;
    bool pinned = false;
    std::optional<CheckSummary> last_check;
    std::optional<config::CheckKind> check_kind;  // none: the site is not checked
    int rise = 1;                                 // HAProxy check_rise
    int fall = 1;                                 // HAProxy check_fall
    int consecutive_successes = 0;                // the streak under way ("DOWN 1/2")
    int consecutive_failures = 0;                 // ("UP 1/3")
    std::uint64_t checks_failed_total = 0;        // HAProxy chkfail
    std::uint64_t health_changes_total = 0;       // every completed streak
    std::uint64_t down_transitions_total = 0;     // HAProxy chkdown: went down (or into maint)
    std::uint64_t downtime_s = 0;                 // HAProxy downtime: seconds spent down
    std::uint64_t last_change_age_s = 0;          // HAProxy lastchg: health or admin state
    unsigned weight = 1;                          // HAProxy's user weight: 0 drains the site
    std::uint64_t connections_active = 0;         // scur
    std::uint64_t connections_max = 0;            // smax
    std::uint64_t connections_total = 0;          // stot
    std::uint64_t connect_errors_total = 0;       // econ
    std::uint64_t bytes_to_site = 0;              // bin (from the clients' point of view)
    std::uint64_t bytes_to_client = 0;            // bout
};

// The words every format prints for a site's typed fields.
[[nodiscard]] inline std::string role_text(const SiteStatus& site) {
    return config::to_string(site.role);
}
[[nodiscard]] inline std::string health_text(const SiteStatus& site) {
    return health::to_string(site.health);
}
[[nodiscard]] inline std::string admin_state_text(const SiteStatus& site) {
    return std::string(policy::to_string(site.admin_state));
}
[[nodiscard]] inline std::string check_kind_text(const SiteStatus& site) {  // "" when unchecked
    return site.check_kind ? config::to_string(*site.check_kind) : "";
}

struct ListenerStatus {
    std::string name;
    std::string bind;  // "0.0.0.0:443"
    std::uint16_t target_port = 0;
    std::vector<std::uint16_t> site_ports;  // by site index: target_port or the site's override
    std::uint64_t connections_active = 0;
    std::uint64_t connections_max = 0;
    std::uint64_t connections_total = 0;
    std::uint64_t bytes_client_to_site = 0;
    std::uint64_t bytes_site_to_client = 0;
    std::uint64_t rejected_total = 0;  // over max_connections
};

// Process-wide figures for HAProxy's `show info`.
struct ProcessInfo {
    std::string node;               // host name
    std::uint64_t start_time_s = 0; // wall clock, seconds since the epoch
    std::uint64_t ulimit_n = 0;     // RLIMIT_NOFILE soft limit
    std::uint64_t conn_rate = 0;    // connections accepted over the last second
    std::uint64_t conn_rate_max = 0;
    std::uint64_t bytes_out_total = 0;  // bytes written to clients and sites
    std::uint64_t bytes_out_rate = 0;   // over the last second
    unsigned idle_pct = 100;            // workers' loops idle over the last second
    bool splice = true;                 // the data path splices (bytes out are spliced bytes)
};

struct PeerTransitionCount {
    std::string from;
    std::string to;
    std::uint64_t count = 0;
};

// The peer link as `show peer` shows it (set only with a [peer] section).
struct PeerView {
    std::string id;
    std::string role;  // "master" | "backup" | "fault" | "init"
    int priority = 0;
    int advertised_priority = 0;
    std::string vip;
    std::string interface;
    bool vip_held = false;
    std::string fault_reason;
    std::string peer_id;    // "" until the peer is heard
    std::string peer_role;  // as it last advertised
    int peer_priority = 0;
    std::optional<std::uint64_t> peer_advert_age_ms;
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_received = 0;
    std::map<std::string, std::uint64_t> rejected;  // by reason
    std::vector<PeerTransitionCount> transitions;
    std::string last_transition;
    // With an arbiter: its address ("" without), the lease, a forced MASTER, a waiting takeover.
    std::string arbiter;
    bool lease_held = false;
    bool forced = false;
    std::string quorum_wait;
    std::uint64_t lease_requests_sent = 0;
    std::uint64_t lease_replies = 0;
};

struct Status {
    std::string version;
    std::int64_t pid = 0;
    std::uint64_t uptime_s = 0;
    ProcessInfo process;
    std::string active_site;
    std::optional<std::string> pinned_site;
    std::uint64_t epoch = 0;
    std::string last_transition;  // "site-a -> site-b (health): site-a down ..." or ""
    std::uint64_t failovers_total = 0;
    std::string peer_role;  // "" when there is no [peer]; else master|backup|fault|init
    std::optional<PeerView> peer;
    std::uint64_t max_connections = 0;
    std::uint64_t connections_active = 0;
    std::uint64_t connections_total = 0;
    std::size_t workers = 0;
    bool stopping = false;          // a SIGTERM drain is under way (HAProxy's "Stopping: 1")
    std::vector<SiteStatus> sites;  // index 0 primary, 1 standby
    std::vector<ListenerStatus> listeners;
};

struct SessionInfo {
    std::uint64_t id = 0;
    std::string client;  // "10.1.2.3:51234"
    std::string listener;
    std::string site;  // "-" while connecting with none chosen
    std::uint64_t age_ms = 0;
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
    std::string state;  // "connecting" | "established"
};

// The answer to a command that changes something.
struct Outcome {
    bool ok = false;
    std::string message;  // one line for the operator
};

class Controller {
public:
    virtual ~Controller() = default;

    [[nodiscard]] virtual Status status() = 0;
    // Sessions live on worker threads: the answer comes later, on the main loop.
    virtual void sessions(std::function<void(std::vector<SessionInfo>)> done) = 0;

    // `site` is a site name; unknown names give ok = false with a clear message.
    virtual Outcome pin(const std::string& site, bool kill_other_sessions) = 0;
    virtual Outcome unpin() = 0;
    virtual Outcome failback() = 0;
    // state: "ready" | "drain" | "maint" (maint also closes the site's sessions).
    virtual Outcome set_site_state(const std::string& site, const std::string& state) = 0;
    // Re-reads the config file; the answer comes once it was applied or rejected.
    virtual void reload(std::function<void(Outcome)> done) = 0;
    // HAProxy's `set server B/S health up|down|stopping`: sets the site's health as a check
    // would ("stopping" drains it); checks go on and may change it again.
    virtual Outcome set_site_health(const std::string& site, const std::string& health) = 0;
    // HAProxy's user weight, 0..256 (1 initially): 0 drains the site, non-zero undoes a drain
    // that weight 0 caused.
    virtual Outcome set_site_weight(const std::string& site, unsigned weight) = 0;
    // `peer step-down`: a planned handover of the VIP to the peer (refused without [peer]).
    virtual Outcome peer_step_down() = 0;
    // `peer force-master`: take the VIP without quorum, when two of the three nodes of a pair
    // with an arbiter are gone (refused without [peer], or when not a BACKUP).
    virtual Outcome peer_force_master() = 0;
};

}  // namespace lb::admin
