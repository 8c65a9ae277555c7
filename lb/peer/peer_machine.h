// The role of this instance in the pair (BACKUP, MASTER, FAULT), after VRRPv3 (RFC 5798 §6.4):
// who holds the VIP, decided from the peer's adverts and the passing of time. Pure: no I/O, time
// comes in as `now`; every input returns a Reaction (the role change, if any, and the actions for
// the driver to carry out in order). Invariant: this instance holds the VIP exactly while it is
// MASTER (AcquireVip on entering, ReleaseVip on leaving), and it never becomes MASTER while in
// FAULT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"
#include "config/duration.h"
#include "lb/peer/advert.h"
#include "lb/peer/lease_client.h"

namespace lb::peer {

// --- actions: what the driver does, in the order given -------------------------------------------
struct SendAdvert {
    Advert advert;  // complete, sequence included: encode and send to every peer address
};
struct AcquireVip {};  // add the VIP and announce it (gratuitous ARP / unsolicited NA)
struct ReleaseVip {};  // remove the VIP if it is there (idempotent)
struct AnnounceVip {   // announce the VIP again, which this instance keeps holding
    std::string detail;
};
struct RunNotify {  // run the notify hook with MASTER | BACKUP | FAULT
    PeerRole role = PeerRole::Backup;
};
struct AdoptPolicy {  // hand the peer's newer decision to the failover policy
    AdvertPolicy policy;
    std::string from;  // the instance id it came from, or "arbiter"
};
struct SendLeaseRequest {  // encode and send to the arbiter
    LeaseRequest request;
};
using PeerAction = std::variant<SendAdvert, AcquireVip, ReleaseVip, AnnounceVip, RunNotify,
                                AdoptPolicy, SendLeaseRequest>;

// "send_advert" | "acquire_vip" | "release_vip" | "announce_vip" | "notify MASTER" |
// "adopt_policy" | "lease_acquire" | "lease_release": for logs and tests.
[[nodiscard]] std::string to_string(const PeerAction& action);

struct RoleChange {
    PeerRole from = PeerRole::Init;
    PeerRole to = PeerRole::Init;
    std::string cause;  // for operators: "no advert from lb2 for 721ms"
};

struct Reaction {
    std::optional<RoleChange> change;  // set: log it, count lb_peer_transitions_total
    std::vector<PeerAction> actions;
    // A state worth one warning line that is no role change: "no quorum to take the VIP: ...".
    std::optional<std::string> notice;
};

// The peer as last heard (for `show peer`, and for the causes).
struct HeardPeer {
    std::string id;
    PeerRole role = PeerRole::Init;
    int priority = 0;
    Duration advert_interval{0};
    TimePoint at{};
    bool reaches_site = true;  // its checks find a site up (Advert::reaches_site)
};

// Rules (tests/unit/peer/peer_machine_test.cpp, peer_machine_fault_test.cpp and, for two
// machines through the real codec, peer_pair_test.cpp walk through each):
// - start(): INIT → BACKUP (or FAULT if a fault is already set).
// - BACKUP → MASTER when master_down_interval() passes without an advert that holds it back:
//   3 × the advert interval + skew, skew = ((256 − priority) × interval) / 256, the interval
//   being the one the peer advertises (its own until one is heard) and the priority this one's,
//   so with equal intervals the higher priority's timer runs out first.
// - The better of two instances has the higher advertised priority; at equal priority the higher
//   instance id, compared bytewise (VRRP compares IP addresses; ids are what adverts carry).
// - What holds a BACKUP back: an advert from a MASTER (priority > 0) that is better, or any
//   MASTER while `preempt` is false or a step-down holds; an advert from a better BACKUP, which
//   will take over itself. With `preempt` true a better BACKUP ignores a worse MASTER's adverts
//   and takes over when its timer runs out. Nothing else holds it back: a FAULT peer, or one at
//   priority 0, does not. The pair is two instances: the last advert heard is "the peer".
// - Two MASTERs that hear each other: the worse steps down to BACKUP at once; the better stays
//   MASTER, announces the VIP again (AnnounceVip) and sends an advert at once, on every conflict
//   it wins (a worse MASTER's advert, or its parting one). `preempt` plays no part here: it only
//   stops a BACKUP from taking over a live master. A MASTER also announces the VIP on the first
//   advert it hears after master_down_interval() of silence (a healed partition).
// - Leaving MASTER for BACKUP, the one advert sent says MASTER with priority 0 (it gives
//   mastership up); the adverts after it say BACKUP.
// - Priority 0 from the peer that was (or claims to be) MASTER: it gives up; this BACKUP takes
//   over after its skew alone (RFC 5798 §6.4.2), sooner than the full interval.
// - set_fault(true): FAULT (from MASTER: ReleaseVip); adverts carry priority 0; never MASTER
//   until set_fault(false), which returns to BACKUP with a fresh master_down_interval().
// - Sites: every advert says whether its sender reaches a site (set_reach()). An instance that
//   reaches neither site while the peer reaches one is in FAULT as well — the peer heard since
//   this instance lost the sites and within master_down_interval() — until it reaches one again
//   or the peer stops reaching one or is not heard. An advert from before the loss proves
//   nothing: cut off from everything, this instance would otherwise leave and retake MASTER.
//   The same fact ranks first: an instance that reaches a site ranks above one that does not,
//   whatever their priorities, so two masters that hear each other after a partition keep the
//   one clients can use, which also holds the VIP already (no move, no lost connect).
//   A peer that is not heard says nothing: cut off from both sites and from the peer, this
//   instance stays what it is (it cannot tell its own isolation from an outage of both sites).
// - step_down(): see there.
// - Unlike VRRP, every role advertises, every advert interval and at once on a role change: the
//   master learns of the backup, and a backup's policy decision reaches the master.
// - Every advert carries the local policy decision (set_policy()); an admitted advert whose
//   epoch is above the highest epoch known here returns AdoptPolicy, whatever the roles.
//
// - Arbiter (settings.arbiter set): the VIP needs two of three votes, this instance's own plus
//   the peer's or the arbiter's lease (LeaseClient). The peer votes while it was heard within
//   1.5 × the shorter of the two advert intervals (well under its master-down interval of 3 of
//   this instance's intervals + skew, so the vote has lapsed before a cut-off peer can take
//   over) and does not claim MASTER itself (priority 0 does not claim). A
//   BACKUP whose promotion is due takes over only with a vote; without one it asks the arbiter
//   for the lease, stays BACKUP, and says why once (Reaction::notice). A MASTER asks for the
//   lease all along (so it keeps it when the link to the peer breaks) and, when it has neither
//   vote, leaves MASTER at once: its view of the lease ends before the arbiter's, so the VIP is
//   gone before the peer can be granted it. Leaving MASTER releases the lease. force_master()
//   takes the VIP without a vote (an operator, when two of three are gone), until MASTER ends.
//   With preempt, a MASTER that hears a better BACKUP steps down itself (the BACKUP could not
//   get the lease from it). Without an arbiter, none of this applies.
//
// One thread. `now` must not go backwards. Inputs before start() only record facts (fault,
// policy); adverts and ticks before start() are ignored.
class PeerMachine {
public:
    // Uses settings.id, .priority (1..255), .advert_interval (> 0) and .preempt. `boot_id` comes
    // from random_boot_id(); `policy` is the local decision at start.
    PeerMachine(const config::Peer& settings, std::uint64_t boot_id, AdvertPolicy policy);

    // --- inputs -----------------------------------------------------------------------------
    // INIT → BACKUP (FAULT if faulted): ReleaseVip first, since a predecessor killed while MASTER
    // may have left the address on the interface.
    [[nodiscard]] Reaction start(TimePoint now);
    // An advert that decode() and ReplayGuard::admit() accepted. This instance's own id (a
    // reflected advert) is ignored.
    [[nodiscard]] Reaction on_advert(const Advert& advert, TimePoint now);
    // The timer armed at next_deadline() fired: promotion, the periodic advert. Early or late
    // calls are harmless (a late one acts as of `now`).
    [[nodiscard]] Reaction tick(TimePoint now);
    // When tick() must run next; nullopt before start(). Re-read after every call.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    // Tracking's verdict: `faulted` with why ("tcp://10.0.0.50:27017 unreachable"), or cleared.
    [[nodiscard]] Reaction set_fault(bool faulted, std::string_view reason, TimePoint now);
    // Whether this instance's checks reach a site (one up or not yet checked): advertised at
    // once when it changes; see the rules for the FAULT it may cause.
    [[nodiscard]] Reaction set_reach(bool reaches_site, TimePoint now);
    // A planned handover (SIGTERM, `peer step-down`). As MASTER: ReleaseVip, one advert with
    // role MASTER and priority 0 (the peer takes over after its skew), BACKUP. In every role:
    // for `hold`, this instance advertises priority 0 and does not preempt, and it does not take
    // over unless the peer has been heard as MASTER since the step-down: the handover happened,
    // and a peer lost after that is a new failure, not a reason to leave the VIP unowned.
    // Without that, a preempting instance of higher priority would take the VIP back within one
    // master_down_interval(), undoing the step-down; and a bounded hold keeps a lone instance
    // (nobody to hand over to) from leaving the VIP unowned for good. The driver picks `hold`.
    [[nodiscard]] Reaction step_down(TimePoint now, Duration hold, std::string_view cause);
    // The local decision changed (the policy driver's observer): advertised at once.
    [[nodiscard]] Reaction set_policy(const AdvertPolicy& policy, TimePoint now);
    // A reply from the arbiter that decoded and passed the replay guard; `stale` (when given)
    // says whether it answered no request in flight (ignored). Without an arbiter: nothing.
    [[nodiscard]] Reaction on_lease_reply(const LeaseReply& reply, TimePoint now,
                                          bool* stale = nullptr);
    // The operator takes the VIP without quorum (`peer force-master`): BACKUP → MASTER. Nothing
    // in another role (a FAULT instance cannot serve; a MASTER is one already).
    [[nodiscard]] Reaction force_master(TimePoint now);

    // --- queries ----------------------------------------------------------------------------
    [[nodiscard]] PeerRole role() const { return role_; }
    [[nodiscard]] const std::string& id() const { return id_; }
    [[nodiscard]] int priority() const { return priority_; }  // configured
    // What the adverts say now: 0 in FAULT and while held BACKUP by step_down().
    [[nodiscard]] int advertised_priority() const;
    [[nodiscard]] Duration skew() const;
    [[nodiscard]] Duration master_down_interval() const;
    [[nodiscard]] const AdvertPolicy& policy() const { return policy_; }
    [[nodiscard]] std::uint64_t known_epoch() const { return known_epoch_; }
    [[nodiscard]] const std::optional<HeardPeer>& peer() const { return heard_; }
    [[nodiscard]] bool faulted() const { return fault_.has_value() || site_fault_.has_value(); }
    // Why: tracking's reason, the sites', or both joined by "; "; "" when not faulted.
    [[nodiscard]] std::string fault_reason() const;
    [[nodiscard]] bool reaches_site() const { return reaches_site_; }
    // Until when step_down() holds this instance back; nullopt when it does not.
    [[nodiscard]] std::optional<TimePoint> held_until() const { return hold_until_; }
    [[nodiscard]] std::uint64_t boot_id() const { return boot_id_; }
    [[nodiscard]] bool has_arbiter() const { return lease_.has_value(); }
    // Two of three votes (always true without an arbiter).
    [[nodiscard]] bool has_quorum(TimePoint now) const;
    [[nodiscard]] bool lease_held(TimePoint now) const { return lease_ && lease_->held(now); }
    [[nodiscard]] bool forced() const { return forced_; }
    // Why a due takeover waits ("" when none does).
    [[nodiscard]] const std::string& quorum_wait() const { return quorum_wait_; }

private:
    void expire_hold(TimePoint now);
    [[nodiscard]] bool held() const { return hold_until_.has_value(); }
    // Whether an advert from `peer` ranks above this instance (priority, then id).
    [[nodiscard]] bool ranks_above(const Advert& peer) const;
    // "priority 200 > 150", "same priority 150, id lb2 > lb1": the comparison, for causes.
    [[nodiscard]] std::string ranking(const Advert& peer) const;
    // When a BACKUP takes over: the master-down deadline, later while a step-down holds it.
    [[nodiscard]] TimePoint promotion_at() const;
    [[nodiscard]] std::string promotion_cause(TimePoint now) const;
    void on_advert_as_master(const Advert& advert, bool after_silence, TimePoint now,
                             Reaction& out);
    void on_advert_as_backup(const Advert& advert, bool was_master, TimePoint now);
    // Moves to `to` and appends the actions of leaving the old role and entering the new one.
    void enter(PeerRole to, std::string cause, TimePoint now, Reaction& out);
    // Recomputes the sites' fault and moves into or out of FAULT to match faulted();
    // `clear_cause` says why when it leaves FAULT.
    void update_fault(TimePoint now, const std::string& clear_cause, Reaction& out);
    void send(PeerRole role, int priority, TimePoint now, Reaction& out);
    // The peer's vote for this instance as MASTER (see the rules), and how long it lasts after
    // the peer's last advert: 1.5 × the shorter of the two intervals.
    [[nodiscard]] bool peer_votes(TimePoint now) const;
    [[nodiscard]] Duration vote_window() const;
    // "lb2 not heard for 1.2s; the arbiter's lease is held by lb2": the missing votes.
    // Why the votes are short: the text for people, and its kind without the times in it
    // ("silent/refused:lb2"), which says whether the reason changed.
    struct MissingVotes {
        std::string text;
        std::string kind;
    };
    [[nodiscard]] MissingVotes missing_votes(TimePoint now) const;
    // Arbiter: takes over or steps down on the votes, and asks for or gives back the lease.
    void judge_quorum(TimePoint now, Reaction& out);

    std::string id_;
    int priority_;
    Duration interval_;
    bool preempt_;
    std::uint64_t boot_id_;
    std::uint64_t sequence_ = 0;

    PeerRole role_ = PeerRole::Init;
    AdvertPolicy policy_;
    std::uint64_t known_epoch_;
    std::optional<HeardPeer> heard_;
    std::optional<std::string> fault_;       // tracking's fault, with the reason
    std::optional<std::string> site_fault_;  // no site reachable while the peer reaches one
    bool reaches_site_ = true;
    TimePoint reach_lost_at_{};  // when reaches_site_ last became false
    std::optional<TimePoint> hold_until_;
    bool handed_over_ = false;  // the peer was heard as MASTER during the hold

    TimePoint next_advert_{};
    TimePoint down_at_{};        // BACKUP: the master-down deadline
    TimePoint waiting_since_{};  // when down_at_ was last set a full interval ahead
    // Why down_at_ may run out, beyond silence: the peer gave mastership up (priority 0), or a
    // worse master's adverts were ignored to preempt it (the ranking, for the cause).
    bool peer_gave_up_ = false;
    std::optional<std::string> preempting_;

    std::optional<LeaseClient> lease_;  // set with an arbiter
    bool forced_ = false;               // MASTER by force_master()
    // A MASTER's deadline to judge again when the peer's vote lapses (it may hold quorum).
    std::optional<TimePoint> vote_lapses_at_;
    std::string quorum_wait_;
    std::optional<TimePoint> quorum_wait_since_;  // the due takeover waiting for quorum began
    std::string quorum_noticed_;                  // the MissingVotes kind last logged for it
};

}  // namespace lb::peer
