// The peer role machine. Every input first ends an expired step-down hold, then applies one rule;
// role changes go through enter(), so leaving MASTER always releases the VIP and every change
// sends an advert and runs the notify hook.
#include "lb/peer/peer_machine.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "lb/base/assert.h"

namespace lb::peer {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

}  // namespace

std::string to_string(const PeerAction& action) {
    return std::visit(
        Overloaded{
            [](const SendAdvert&) { return std::string("send_advert"); },
            [](const AcquireVip&) { return std::string("acquire_vip"); },
            [](const ReleaseVip&) { return std::string("release_vip"); },
            [](const AnnounceVip&) { return std::string("announce_vip"); },
            [](const RunNotify& notify) { return "notify " + upper(to_string(notify.role)); },
            [](const AdoptPolicy&) { return std::string("adopt_policy"); },
            [](const SendLeaseRequest& send) {
                return std::string(send.request.kind == LeaseKind::Acquire ? "lease_acquire"
                                                                           : "lease_release");
            },
        },
        action);
}

PeerMachine::PeerMachine(const config::Peer& settings, std::uint64_t boot_id, AdvertPolicy policy)
    : id_(settings.id),
      priority_(settings.priority),
      interval_(settings.advert_interval),
      preempt_(settings.preempt),
      boot_id_(boot_id),
      policy_(std::move(policy)),
      known_epoch_(policy_.epoch) {
    LB_CHECK(priority_ >= 1 && priority_ <= 255);
    // Until the arbiter's first grant says otherwise (LeaseClient adapts to it), a lease of 3 ×
    // the advert interval renewed every interval: room for two lost requests.
    if (settings.arbiter) lease_.emplace(id_, boot_id_, 3 * interval_, interval_);
    LB_CHECK(interval_.count() >= 1 &&
             interval_.count() <= std::numeric_limits<std::uint32_t>::max());
}

// --- inputs ---------------------------------------------------------------------------------

Reaction PeerMachine::start(TimePoint now) {
    Reaction out;
    if (role_ != PeerRole::Init) return out;
    expire_hold(now);
    if (faulted())
        enter(PeerRole::Fault, "started in fault: " + fault_reason(), now, out);
    else
        enter(PeerRole::Backup, "started", now, out);
    return out;
}

Reaction PeerMachine::on_advert(const Advert& advert, TimePoint now) {
    Reaction out;
    if (role_ == PeerRole::Init || advert.instance_id == id_) return out;
    expire_hold(now);
    const bool was_master = heard_ && heard_->role == PeerRole::Master && heard_->priority > 0;
    const bool after_silence = !heard_ || now - heard_->at >= master_down_interval();
    heard_ = HeardPeer{advert.instance_id, advert.role,   advert.priority,
                       advert.advert_interval, now,   advert.reaches_site};
    if (held() && advert.role == PeerRole::Master && advert.priority > 0) handed_over_ = true;
    update_fault(now, fmt::format("{} no longer reaches a site", advert.instance_id), out);
    if (role_ == PeerRole::Master) on_advert_as_master(advert, after_silence, now, out);
    if (role_ == PeerRole::Backup) on_advert_as_backup(advert, was_master, now);
    if (lease_) judge_quorum(now, out);
    // Last: a role change gives the VIP up first, and adopting may wait on a state file write.
    if (advert.policy.epoch > known_epoch_) {
        known_epoch_ = advert.policy.epoch;
        out.actions.emplace_back(AdoptPolicy{advert.policy, advert.instance_id});
    }
    return out;
}

Reaction PeerMachine::tick(TimePoint now) {
    Reaction out;
    if (role_ == PeerRole::Init) return out;
    expire_hold(now);
    if (site_fault_ && heard_)
        update_fault(now, fmt::format("{} not heard for {}", heard_->id,
                                      format_duration(now - heard_->at)),
                     out);
    judge_quorum(now, out);
    if (now >= next_advert_) send(role_, advertised_priority(), now, out);
    return out;
}

std::optional<TimePoint> PeerMachine::next_deadline() const {
    if (role_ == PeerRole::Init) return std::nullopt;
    TimePoint next = next_advert_;
    // A due takeover that waits for quorum has passed promotion_at(): it is judged again at
    // the lease's deadlines, and on every advert and reply.
    if (role_ == PeerRole::Backup && quorum_wait_.empty()) next = std::min(next, promotion_at());
    if (quorum_wait_since_ && quorum_noticed_.empty())  // the wait's line, unless said already
        next = std::min(next, *quorum_wait_since_ + interval_);
    if (lease_)
        if (const auto lease = lease_->next_deadline()) next = std::min(next, *lease);
    if (vote_lapses_at_) next = std::min(next, *vote_lapses_at_);
    if (site_fault_ && heard_) next = std::min(next, heard_->at + master_down_interval());
    return next;
}

Reaction PeerMachine::set_fault(bool faulted, std::string_view reason, TimePoint now) {
    Reaction out;
    if (role_ != PeerRole::Init) expire_hold(now);
    if (faulted) {
        fault_ = std::string(reason);
    } else {
        if (!fault_) return out;
        fault_.reset();
    }
    update_fault(now, std::string(reason), out);
    if (lease_) judge_quorum(now, out);
    return out;
}

Reaction PeerMachine::set_reach(bool reaches_site, TimePoint now) {
    Reaction out;
    if (reaches_site == reaches_site_) return out;
    reaches_site_ = reaches_site;
    if (!reaches_site) reach_lost_at_ = now;
    if (role_ == PeerRole::Init) return out;
    expire_hold(now);
    const PeerRole before = role_;
    update_fault(now, "a site is reachable again", out);
    if (role_ == before) send(role_, advertised_priority(), now, out);  // say it at once
    if (lease_) judge_quorum(now, out);
    return out;
}

Reaction PeerMachine::step_down(TimePoint now, Duration hold, std::string_view cause) {
    Reaction out;
    if (role_ != PeerRole::Init) expire_hold(now);
    hold_until_ = now + hold;
    handed_over_ = false;
    if (role_ == PeerRole::Master) {
        enter(PeerRole::Backup, "step-down: " + std::string(cause), now, out);
    } else if (role_ == PeerRole::Backup) {
        send(PeerRole::Backup, 0, now, out);
    }
    if (lease_) judge_quorum(now, out);
    return out;
}

Reaction PeerMachine::set_policy(const AdvertPolicy& policy, TimePoint now) {
    Reaction out;
    if (policy == policy_) return out;
    policy_ = policy;
    known_epoch_ = std::max(known_epoch_, policy.epoch);
    if (role_ == PeerRole::Init) return out;
    expire_hold(now);
    send(role_, advertised_priority(), now, out);
    // The arbiter keeps the newest decision for instances that restart: tell it at once.
    if (lease_)
        if (auto request = lease_->renew_now(policy_, now))
            out.actions.emplace_back(SendLeaseRequest{*request});
    return out;
}

Reaction PeerMachine::on_lease_reply(const LeaseReply& reply, TimePoint now, bool* stale) {
    Reaction out;
    if (stale != nullptr) *stale = false;
    if (!lease_ || role_ == PeerRole::Init) return out;
    expire_hold(now);
    const LeaseUpdate update = lease_->on_reply(reply, now);
    if (stale != nullptr) *stale = update.stale;
    if (update.stale) return out;
    // First: a takeover below then advertises the decision it adopted.
    if (update.newest && update.newest->epoch > known_epoch_) {
        known_epoch_ = update.newest->epoch;
        out.actions.emplace_back(AdoptPolicy{*update.newest, std::string(kArbiterId)});
    }
    judge_quorum(now, out);
    return out;
}

Reaction PeerMachine::force_master(TimePoint now) {
    Reaction out;
    if (role_ != PeerRole::Backup) return out;
    expire_hold(now);
    const std::string missing = lease_ ? missing_votes(now).text : std::string("no arbiter");
    quorum_wait_.clear();
    quorum_wait_since_.reset();
    quorum_noticed_.clear();
    enter(PeerRole::Master, "forced by the operator (" + missing + ")", now, out);
    forced_ = true;
    if (lease_) judge_quorum(now, out);  // asks for the lease all the same
    return out;
}

// --- queries --------------------------------------------------------------------------------

int PeerMachine::advertised_priority() const {
    if (faulted() || role_ == PeerRole::Fault) return 0;
    if (held() && role_ != PeerRole::Master) return 0;
    return priority_;
}

Duration PeerMachine::skew() const {
    const Duration interval = heard_ ? heard_->advert_interval : interval_;
    return Duration((256 - priority_) * interval.count() / 256);
}

Duration PeerMachine::master_down_interval() const {
    const Duration interval = heard_ ? heard_->advert_interval : interval_;
    return 3 * interval + skew();
}

std::string PeerMachine::fault_reason() const {
    if (fault_ && site_fault_) return *fault_ + "; " + *site_fault_;
    if (fault_) return *fault_;
    if (site_fault_) return *site_fault_;
    return {};
}

bool PeerMachine::has_quorum(TimePoint now) const {
    return !lease_ || forced_ || peer_votes(now) || lease_->held(now);
}

// --- rules ----------------------------------------------------------------------------------

void PeerMachine::expire_hold(TimePoint now) {
    if (hold_until_ && now >= *hold_until_) {
        hold_until_.reset();
        handed_over_ = false;
    }
}

bool PeerMachine::ranks_above(const Advert& peer) const {
    if (peer.reaches_site != reaches_site_) return peer.reaches_site;
    const int mine = advertised_priority();
    if (peer.priority != mine) return peer.priority > mine;
    return peer.instance_id > id_;
}

std::string PeerMachine::ranking(const Advert& peer) const {
    if (peer.reaches_site != reaches_site_)
        return peer.reaches_site ? fmt::format("{} reaches a site, this instance none",
                                               peer.instance_id)
                                 : fmt::format("{} reaches no site", peer.instance_id);
    const int mine = advertised_priority();
    if (peer.priority != mine)
        return fmt::format("priority {} {} {}", peer.priority, peer.priority > mine ? ">" : "<",
                           mine);
    return fmt::format("same priority {}, id {} {} {}", mine, peer.instance_id,
                       peer.instance_id > id_ ? ">" : "<", id_);
}

TimePoint PeerMachine::promotion_at() const {
    if (held() && !handed_over_) return std::max(down_at_, *hold_until_);
    return down_at_;
}

std::string PeerMachine::promotion_cause(TimePoint now) const {
    if (!heard_)
        return fmt::format("no advert from a peer for {}", format_duration(now - waiting_since_));
    const HeardPeer& peer = *heard_;
    if (peer_gave_up_)
        return fmt::format("{} gave mastership up (priority 0); took over after the skew of {}",
                           peer.id, format_duration(skew()));
    if (preempting_)
        return fmt::format("preempting {}, a master that ranks lower ({})", peer.id, *preempting_);
    if (now - peer.at >= master_down_interval())
        return fmt::format("no advert from {} for {}", peer.id, format_duration(now - peer.at));
    if (peer.role == PeerRole::Fault) return fmt::format("{} is in fault", peer.id);
    if (peer.priority == 0) return fmt::format("{} advertises priority 0", peer.id);
    return fmt::format("{} is {} and ranks lower (priority {})", peer.id, to_string(peer.role),
                       peer.priority);
}

void PeerMachine::on_advert_as_master(const Advert& advert, bool after_silence, TimePoint now,
                                      Reaction& out) {
    if (advert.role == PeerRole::Master) {
        if (ranks_above(advert)) {
            enter(PeerRole::Backup,
                  fmt::format("{} is also master and ranks higher ({})", advert.instance_id,
                              ranking(advert)),
                  now, out);
            return;
        }
        // A conflict won, or the loser's parting advert: neighbours may have learnt the
        // other's MAC for the VIP, so announce it again, and advert at once.
        out.actions.emplace_back(
            AnnounceVip{advert.priority == 0
                            ? fmt::format("{} gave mastership up (priority 0)", advert.instance_id)
                            : fmt::format("{} is also master and ranks lower ({})",
                                          advert.instance_id, ranking(advert))});
        send(PeerRole::Master, priority_, now, out);
        return;
    }
    // With an arbiter, a better BACKUP cannot preempt (this MASTER holds the lease): yield.
    if (lease_ && preempt_ && advert.role == PeerRole::Backup && advert.priority > 0 &&
        ranks_above(advert)) {
        enter(PeerRole::Backup,
              fmt::format("preempted by {}, a backup that ranks higher ({})", advert.instance_id,
                          ranking(advert)),
              now, out);
        return;
    }
    // The first advert after a silence (a partition healing, the peer's first): the peer may
    // have held the VIP meanwhile and stepped down before this instance heard it as MASTER, its
    // parting advert lost. Announcing again costs a few packets; not announcing can leave the
    // neighbours sending to the wrong MAC until their caches expire.
    if (after_silence)
        out.actions.emplace_back(AnnounceVip{fmt::format(
            "heard {} ({}) after a silence", advert.instance_id, to_string(advert.role))});
}

void PeerMachine::on_advert_as_backup(const Advert& advert, bool was_master, TimePoint now) {
    const auto hold_back = [&] {
        down_at_ = now + master_down_interval();
        waiting_since_ = now;
        peer_gave_up_ = false;
        preempting_.reset();
    };
    if (advert.priority == 0) {
        // RFC 5798 §6.4.2: the master gives up; take over after the skew alone.
        if (advert.role != PeerRole::Master && !was_master) return;
        const TimePoint soon = now + skew();
        if (soon < down_at_) {
            down_at_ = soon;
            peer_gave_up_ = true;
            preempting_.reset();
        }
        return;
    }
    switch (advert.role) {
        case PeerRole::Master:
            if (ranks_above(advert) || !preempt_ || held())
                hold_back();
            else
                preempting_ = ranking(advert);  // let down_at_ run out, then take over
            return;
        case PeerRole::Backup:
        case PeerRole::Init:
            if (ranks_above(advert)) hold_back();  // the better one takes over itself
            return;
        case PeerRole::Fault:
            return;
    }
}

void PeerMachine::enter(PeerRole to, std::string cause, TimePoint now, Reaction& out) {
    const PeerRole from = role_;
    role_ = to;
    if (from == PeerRole::Master) forced_ = false;
    out.change = RoleChange{from, to, std::move(cause)};
    if (from == PeerRole::Master || from == PeerRole::Init) out.actions.emplace_back(ReleaseVip{});
    switch (to) {
        case PeerRole::Master:
            send(PeerRole::Master, priority_, now, out);
            out.actions.emplace_back(AcquireVip{});
            break;
        case PeerRole::Backup:
            down_at_ = now + master_down_interval();
            waiting_since_ = now;
            peer_gave_up_ = false;
            preempting_.reset();
            // A master's last advert gives mastership up (priority 0): a backup peer takes over
            // after its skew, a master peer knows the conflict is over. Then BACKUP adverts.
            if (from == PeerRole::Master)
                send(PeerRole::Master, 0, now, out);
            else
                send(PeerRole::Backup, advertised_priority(), now, out);
            break;
        case PeerRole::Fault:
            send(PeerRole::Fault, 0, now, out);
            break;
        case PeerRole::Init:
            LB_CHECK(false);  // nothing goes back to INIT
    }
    out.actions.emplace_back(RunNotify{to});
}

bool PeerMachine::peer_votes(TimePoint now) const {
    // Fresh for 1.5 of the shorter interval only (vote_window()): a peer cut off from this MASTER becomes due
    // to take over after its master_down_interval() (3 intervals + skew) of silence, and may
    // then get the lease; this vote must have lapsed by then, or both would hold the VIP.
    return heard_ && now - heard_->at < vote_window() &&
           !(heard_->role == PeerRole::Master && heard_->priority > 0);
}

Duration PeerMachine::vote_window() const {
    const Duration shorter = heard_ ? std::min(interval_, heard_->advert_interval) : interval_;
    return shorter * 3 / 2;
}

PeerMachine::MissingVotes PeerMachine::missing_votes(TimePoint now) const {
    MissingVotes out;
    std::string peer;
    if (!heard_) {
        peer = "no peer heard";
        out.kind = "none";
    } else if (now - heard_->at >= vote_window()) {
        peer = fmt::format("{} not heard for {}", heard_->id, format_duration(now - heard_->at));
        out.kind = "silent";
    } else {
        peer = fmt::format("{} claims MASTER", heard_->id);
        out.kind = "master";
    }
    std::string arbiter;
    if (!lease_->refused_by().empty()) {
        arbiter = fmt::format("the arbiter's lease is held by {}", lease_->refused_by());
        out.kind += "/refused:" + lease_->refused_by();
    } else if (!lease_->last_reply_at()) {
        arbiter = "the arbiter does not answer";
        out.kind += "/silent";
    } else {
        arbiter = fmt::format("the arbiter last answered {} ago",
                              format_duration(now - *lease_->last_reply_at()));
        out.kind += "/stale";
    }
    out.text = peer + "; " + arbiter;
    return out;
}

void PeerMachine::judge_quorum(TimePoint now, Reaction& out) {
    const bool due = role_ == PeerRole::Backup && now >= promotion_at();
    if (due && has_quorum(now)) {
        std::string cause = promotion_cause(now);
        if (lease_ && !peer_votes(now)) cause += "; the arbiter granted its lease";
        quorum_wait_.clear();
        quorum_wait_since_.reset();
        quorum_noticed_.clear();
        enter(PeerRole::Master, std::move(cause), now, out);
    } else if (due) {
        if (!quorum_wait_since_) quorum_wait_since_ = now;
        const MissingVotes missing = missing_votes(now);
        quorum_wait_ = "no quorum to take the VIP: " + missing.text +
                       "; `lb ctl peer force-master` takes it anyway";
        // The wait's first request leaves now: say why once the arbiter has answered it or has
        // had an interval to, so the line does not blame an arbiter that was never asked; and
        // again whenever the reason changes (silent arbiter → lease held by the peer).
        const auto replied = lease_->last_reply_at();
        const bool settled = (replied && *replied >= *quorum_wait_since_) ||
                             now - *quorum_wait_since_ >= interval_;
        if (settled && missing.kind != quorum_noticed_) {
            out.notice = quorum_wait_;
            quorum_noticed_ = missing.kind;
        }
    } else {
        quorum_wait_.clear();
        quorum_wait_since_.reset();
        quorum_noticed_.clear();
    }
    if (role_ == PeerRole::Master && !has_quorum(now))
        enter(PeerRole::Backup, "lost quorum: " + missing_votes(now).text, now, out);
    vote_lapses_at_.reset();
    if (!lease_) return;
    if (role_ == PeerRole::Master && heard_) {
        const TimePoint lapse = heard_->at + vote_window();
        if (lapse > now) vote_lapses_at_ = lapse;
    }
    const bool want =
        role_ == PeerRole::Master || (role_ == PeerRole::Backup && now >= promotion_at());
    if (auto release = lease_->want(want, policy_, now))
        out.actions.emplace_back(SendLeaseRequest{*release});
    if (auto request = lease_->tick(policy_, now))
        out.actions.emplace_back(SendLeaseRequest{*request});
}

void PeerMachine::update_fault(TimePoint now, const std::string& clear_cause, Reaction& out) {
    // Only an advert heard since this instance lost the sites shows that the peer reaches one
    // while this one does not; an older one may predate whatever cut this instance off.
    const bool peer_reaches = heard_ && heard_->reaches_site && heard_->at >= reach_lost_at_ &&
                              now - heard_->at < master_down_interval();
    if (reaches_site_ || !peer_reaches)
        site_fault_.reset();
    else if (!site_fault_)
        site_fault_ = fmt::format("neither site reachable from here, {} reaches one", heard_->id);
    if (role_ == PeerRole::Init) return;
    if (faulted() && role_ != PeerRole::Fault) {
        enter(PeerRole::Fault, "fault: " + fault_reason(), now, out);
    } else if (!faulted() && role_ == PeerRole::Fault) {
        enter(PeerRole::Backup,
              clear_cause.empty() ? std::string("fault cleared") : "fault cleared: " + clear_cause,
              now, out);
    }
}

void PeerMachine::send(PeerRole role, int priority, TimePoint now, Reaction& out) {
    Advert advert{id_, priority, role, policy_, boot_id_, ++sequence_, interval_};
    advert.reaches_site = reaches_site_;
    out.actions.emplace_back(SendAdvert{std::move(advert)});
    next_advert_ = now + interval_;
}

}  // namespace lb::peer
