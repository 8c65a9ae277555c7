// The peer link on the main loop: feeds PeerMachine with authenticated adverts (AdvertTransport,
// decode, ReplayGuard) and the passing of time (one timer at next_deadline()), and carries out
// its actions — send adverts, add/remove/announce the VIP, run the notify hook, hand a newer
// policy decision to the owner of the policy. Counts everything operators see (`show peer`,
// lb_peer_* metrics). The policy itself stays in lb/control: this driver only reports the
// peer's decisions (Hooks::adopt_policy) and takes the local one (set_policy).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"
#include "lb/peer/advert.h"
#include "lb/peer/advert_auth.h"
#include "lb/peer/advert_transport.h"
#include "lb/peer/interface_addresses.h"
#include "lb/peer/link_watch.h"
#include "lb/peer/neighbour_announcer.h"
#include "lb/peer/notify_hook.h"
#include "lb/peer/peer_machine.h"
#include "lb/peer/replay_guard.h"
#include "lb/peer/track_targets.h"
#include "lb/peer/virtual_address.h"

namespace lb::peer {

// What operators see of the link (`show peer`, the status page, /status.json, metrics).
struct PeerStatus {
    std::string id;
    PeerRole role = PeerRole::Init;
    int priority = 0;             // configured
    int advertised_priority = 0;  // 0 in FAULT or after a step-down
    std::string vip;              // "10.0.0.100/24"
    std::string interface;
    bool vip_held = false;
    std::string fault_reason;  // "" unless FAULT
    std::optional<HeardPeer> peer;
    std::optional<std::uint64_t> peer_advert_age_ms;
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_send_failed = 0;
    std::uint64_t adverts_received = 0;
    std::map<std::string, std::uint64_t> rejected;                             // by reason label
    std::map<std::pair<std::string, std::string>, std::uint64_t> transitions;  // (from, to)
    std::string last_transition;  // "backup -> master: no advert from lb2 for 340ms"
    // With an arbiter ([peer] arbiter): its address, the lease, and why a takeover waits.
    std::string arbiter;
    bool lease_held = false;
    bool forced = false;  // MASTER by `peer force-master`
    std::string quorum_wait;
    std::uint64_t lease_requests_sent = 0;
    std::uint64_t lease_replies = 0;
    std::uint64_t lease_replies_stale = 0;
    std::map<std::string, std::uint64_t> lease_rejected;  // by reason label
};

class PeerDriver {
public:
    struct Hooks {
        // The peer's decision is newer: adopt it (the owner of the policy persists it).
        std::function<void(const AdvertPolicy& policy, const std::string& from)> adopt_policy;
        // After every role change (the daemon gates the local policy on it).
        std::function<void(PeerRole from, PeerRole to)> role_changed;
    };

    PeerDriver(uv_loop_t* loop, Scheduler& scheduler, config::Peer settings, Hooks hooks);
    ~PeerDriver();
    PeerDriver(const PeerDriver&) = delete;
    PeerDriver& operator=(const PeerDriver&) = delete;

    // Checks the privileges, loads the key, parses the VIP, opens the interface, binds the
    // socket; then removes a VIP left by a crashed run and becomes BACKUP. Any failure is one
    // line for the operator, and nothing is left behind.
    [[nodiscard]] Result<Ok> start(const AdvertPolicy& policy);
    // Exit: gives the VIP up (with a priority-0 advert when MASTER, so the peer takes over at
    // once) and closes everything. Idempotent.
    void stop();

    // The local decision changed.
    void set_policy(const AdvertPolicy& policy);
    // A planned handover (SIGTERM before the drain, `peer step-down`).
    void step_down(std::string_view cause);
    // `peer force-master`: MASTER without quorum. The error says why not (not BACKUP).
    [[nodiscard]] Result<Ok> force_master();
    // Whether this instance's checks reach a site (one up or not yet checked): advertised, and
    // FAULT when the peer reaches one and this one none (PeerMachine).
    void set_reach(bool reaches_site);

    [[nodiscard]] PeerRole role() const;
    [[nodiscard]] PeerStatus status() const;

private:
    void on_datagram(std::span<const std::uint8_t> bytes, bool truncated,
                     const SocketAddress& from);
    void on_lease_reply(std::span<const std::uint8_t> bytes, const SocketAddress& from);
    void on_timer();
    void apply(Reaction reaction);
    void run(const PeerAction& action);
    void acquire_vip();
    void release_vip();
    void announce_burst(std::string_view why);
    void on_announce_timer();
    void rearm();
    void reject(AdvertReject reason, std::string_view detail, const SocketAddress& from);
    // The faults this driver finds itself, by source ("link", "track", "vip"): "" clears one.
    // The machine sees one fault, their reasons joined.
    void set_fault(const std::string& source, const std::string& problem);
    void poll_link();

    uv_loop_t* loop_;
    Scheduler& scheduler_;
    config::Peer settings_;
    Hooks hooks_;
    std::optional<AdvertKey> key_;
    std::optional<VirtualAddress> vip_;
    std::unique_ptr<InterfaceAddresses> addresses_;
    std::unique_ptr<NeighbourAnnouncer> announcer_;
    std::unique_ptr<AdvertTransport> transport_;
    std::unique_ptr<NotifyHook> notify_;
    std::unique_ptr<LinkWatch> link_;
    std::unique_ptr<TrackTargets> track_;
    std::map<std::string, std::string> faults_;  // source -> problem, only the faulted ones
    std::unique_ptr<ReplayGuard> guard_;
    std::unique_ptr<ReplayGuard> arbiter_guard_;  // the arbiter's replies
    std::unique_ptr<PeerMachine> machine_;
    std::unique_ptr<Timer> timer_;
    std::unique_ptr<Timer> announce_timer_;
    int announcements_left_ = 0;
    bool vip_held_ = false;
    bool stopped_ = false;
    PeerStatus counters_;
    TimePoint last_reject_log_{};
};

}  // namespace lb::peer
