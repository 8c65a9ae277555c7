// Actions run in the order PeerMachine gives them. Taking over: the first MASTER advert, then the
// VIP is added and announced at once and again over the first second (a lost gratuitous ARP must
// not leave neighbours on the old MAC). Giving up: the VIP is removed before the priority-0
// advert leaves, so the peer, which takes over on that advert, never finds it still here.
#include "lb/peer/peer_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "lb/base/logger.h"
#include "lb/peer/capabilities.h"

namespace lb::peer {
namespace {

// When the burst of announcements goes out after a takeover, from the first one.
constexpr std::array<Duration, 3> kAnnounceGaps = {
    std::chrono::milliseconds(200), std::chrono::milliseconds(300), std::chrono::milliseconds(500)};

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

PeerDriver::PeerDriver(uv_loop_t* loop, Scheduler& scheduler, config::Peer settings, Hooks hooks)
    : loop_(loop), scheduler_(scheduler), settings_(std::move(settings)), hooks_(std::move(hooks)) {
    counters_.id = settings_.id;
    counters_.priority = settings_.priority;
    counters_.vip = settings_.vip;
    counters_.interface = settings_.interface;
}

PeerDriver::~PeerDriver() { stop(); }

Result<Ok> PeerDriver::start(const AdvertPolicy& policy) {
    if (const std::string missing = missing_capabilities_text(effective_network_capabilities());
        !missing.empty())
        return Error{missing};
    auto key = AdvertKey::load(settings_.key_file);
    if (!key.ok()) return Error{key.error()};
    key_ = std::move(key.value());
    auto vip = VirtualAddress::parse(settings_.vip);
    if (!vip.ok()) return Error{fmt::format("peer.vip: {}", vip.error())};
    vip_ = vip.value();
    auto addresses = InterfaceAddresses::open(settings_.interface);
    if (!addresses.ok()) return Error{fmt::format("peer.interface: {}", addresses.error())};
    addresses_ = std::move(addresses.value());
    auto announcer = NeighbourAnnouncer::open(settings_.interface, vip_->family);
    if (!announcer.ok()) return Error{fmt::format("peer.interface: {}", announcer.error())};
    announcer_ = std::move(announcer.value());
    auto link = LinkWatch::open(addresses_->index(), settings_.interface);
    if (!link.ok()) return Error{fmt::format("peer.interface: {}", link.error())};
    link_ = std::move(link.value());
    auto track = TrackTargets::create(loop_, scheduler_, settings_.track, settings_.advert_interval,
                                      [this](const std::string& problem) {
                                          set_fault("track", problem);
                                      });
    if (!track.ok()) return Error{track.error()};
    track_ = std::move(track.value());
    transport_ = std::make_unique<AdvertTransport>(
        loop_, [this](std::span<const std::uint8_t> bytes, bool truncated,
                      const SocketAddress& from) { on_datagram(bytes, truncated, from); });
    if (auto bound = transport_->start(settings_.bind, settings_.peers); !bound.ok()) return bound;
    notify_ = std::make_unique<NotifyHook>(loop_, settings_.notify);
    guard_ = std::make_unique<ReplayGuard>(std::vector<std::string>{settings_.peer_id});
    arbiter_guard_ = std::make_unique<ReplayGuard>(std::vector<std::string>{std::string(kArbiterId)});
    if (settings_.arbiter) counters_.arbiter = settings_.arbiter->to_string();
    machine_ = std::make_unique<PeerMachine>(settings_, random_boot_id(), policy);
    timer_ = scheduler_.make_timer([this] { on_timer(); });
    announce_timer_ = scheduler_.make_timer([this] { on_announce_timer(); });
    log::info("peer: {} priority {}, VIP {} on {}, adverts every {} ms to {} address(es){}",
              settings_.id, settings_.priority, vip_->to_string(), settings_.interface,
              settings_.advert_interval.count(), settings_.peers.size(),
              settings_.preempt ? ", preempt" : "");
    poll_link();  // a link already down: start in FAULT
    apply(machine_->start(scheduler_.now()));  // releases a VIP a crashed run left behind
    track_->start();
    return Ok{};
}

void PeerDriver::stop() {
    if (stopped_ || !machine_) return;
    stopped_ = true;
    if (machine_->role() == PeerRole::Master)
        apply(machine_->step_down(scheduler_.now(), settings_.advert_interval * 10, "exit"));
    release_vip();
    timer_.reset();
    announce_timer_.reset();
    if (track_) track_->stop();
    if (transport_) transport_->stop();
}

void PeerDriver::set_policy(const AdvertPolicy& policy) {
    if (!machine_ || stopped_) return;
    apply(machine_->set_policy(policy, scheduler_.now()));
}

void PeerDriver::step_down(std::string_view cause) {
    if (!machine_ || stopped_) return;
    const Duration hold =
        std::max<Duration>(std::chrono::seconds(2), settings_.advert_interval * 10);
    apply(machine_->step_down(scheduler_.now(), hold, cause));
}

Result<Ok> PeerDriver::force_master() {
    if (!machine_ || stopped_) return Error{"the peer link is not running"};
    const PeerRole before = machine_->role();
    if (before != PeerRole::Backup)
        return Error{fmt::format("this instance is {}: only a BACKUP can be forced to MASTER",
                                 upper(to_string(before)))};
    apply(machine_->force_master(scheduler_.now()));
    return Ok{};
}

void PeerDriver::set_reach(bool reaches_site) {
    if (!machine_ || stopped_) return;
    apply(machine_->set_reach(reaches_site, scheduler_.now()));
}

void PeerDriver::set_fault(const std::string& source, const std::string& problem) {
    if (!machine_ || stopped_) return;
    const auto found = faults_.find(source);
    std::string cleared;
    if (problem.empty()) {
        if (found == faults_.end()) return;
        cleared = found->second;
        faults_.erase(found);
    } else {
        if (found != faults_.end() && found->second == problem) return;
        faults_[source] = problem;
    }
    std::string reasons;
    for (const auto& [name, text] : faults_) reasons += (reasons.empty() ? "" : "; ") + text;
    if (reasons.empty())
        apply(machine_->set_fault(false, "recovered from: " + cleared, scheduler_.now()));
    else
        apply(machine_->set_fault(true, reasons, scheduler_.now()));
}

void PeerDriver::poll_link() {
    const auto problem = link_->problem();
    if (!problem.ok()) {
        log::warning("peer: {}", problem.error());  // a read error is no verdict on the link
        return;
    }
    set_fault("link", problem.value());
}

PeerRole PeerDriver::role() const { return machine_ ? machine_->role() : PeerRole::Init; }

PeerStatus PeerDriver::status() const {
    PeerStatus out = counters_;
    out.vip_held = vip_held_;
    if (!machine_) return out;
    out.role = machine_->role();
    out.advertised_priority = machine_->advertised_priority();
    out.fault_reason = machine_->faulted() ? machine_->fault_reason() : "";
    out.peer = machine_->peer();
    out.lease_held = machine_->lease_held(scheduler_.now());
    out.forced = machine_->forced();
    out.quorum_wait = machine_->quorum_wait();
    if (out.peer) {
        const TimePoint now = scheduler_.now();
        out.peer_advert_age_ms =
            now > out.peer->at ? static_cast<std::uint64_t>((now - out.peer->at).count()) : 0;
    }
    return out;
}

void PeerDriver::on_datagram(std::span<const std::uint8_t> bytes, bool truncated,
                             const SocketAddress& from) {
    if (stopped_ || !machine_) return;
    if (truncated) return reject(AdvertReject::Oversized, "truncated datagram", from);
    static constexpr std::array<std::uint8_t, 4> kLeaseReplyMagic = {'L', 'B', 'L', 'R'};
    if (settings_.arbiter && bytes.size() >= 4 &&
        std::equal(kLeaseReplyMagic.begin(), kLeaseReplyMagic.end(), bytes.begin()))
        return on_lease_reply(bytes, from);
    DecodeResult decoded = decode(bytes, *key_);
    if (!decoded.ok()) return reject(decoded.error().reason, decoded.error().detail, from);
    const Advert& advert = decoded.value();
    if (advert.instance_id == settings_.id) return;  // our own, looped back by multicast
    const Admission admission = guard_->admit(advert);
    if (!admission.admitted())
        return reject(admission.rejected->reason, admission.rejected->detail, from);
    if (admission.new_boot)
        log::info("peer: {} at {} (re)started (new boot id)", advert.instance_id, from.to_string());
    ++counters_.adverts_received;
    apply(machine_->on_advert(advert, scheduler_.now()));
}

void PeerDriver::on_lease_reply(std::span<const std::uint8_t> bytes, const SocketAddress& from) {
    const auto count_reject = [&](AdvertReject reason, std::string_view detail) {
        ++counters_.lease_rejected[std::string(to_string(reason))];
        const TimePoint now = scheduler_.now();
        if (now - last_reject_log_ < std::chrono::seconds(10)) return;
        last_reject_log_ = now;
        log::warning("peer: arbiter reply from {} dropped ({}): {}", from.to_string(),
                     to_string(reason), detail);
    };
    const auto decoded = decode_lease_reply(bytes, *key_);
    if (!decoded.ok()) return count_reject(decoded.error().reason, decoded.error().detail);
    const LeaseReply& reply = decoded.value();
    const Admission admission = arbiter_guard_->admit(kArbiterId, reply.boot_id, reply.sequence);
    if (!admission.admitted())
        return count_reject(admission.rejected->reason, admission.rejected->detail);
    ++counters_.lease_replies;
    bool stale = false;
    apply(machine_->on_lease_reply(reply, scheduler_.now(), &stale));
    if (stale) ++counters_.lease_replies_stale;
}

void PeerDriver::reject(AdvertReject reason, std::string_view detail, const SocketAddress& from) {
    ++counters_.rejected[std::string(to_string(reason))];
    // One line per 10 s at most: a flood of forged packets must not flood the log.
    const TimePoint now = scheduler_.now();
    if (now - last_reject_log_ < std::chrono::seconds(10)) return;
    last_reject_log_ = now;
    log::warning("peer: advert from {} dropped ({}): {}", from.to_string(), to_string(reason),
                 detail);
}

void PeerDriver::on_timer() {
    if (stopped_ || !machine_) return;
    poll_link();  // at least once per advert interval: the timer never sleeps longer
    apply(machine_->tick(scheduler_.now()));
}

void PeerDriver::apply(Reaction reaction) {
    if (reaction.change) {
        const RoleChange& change = *reaction.change;
        const std::string from(to_string(change.from));
        const std::string to(to_string(change.to));
        ++counters_.transitions[{from, to}];
        counters_.last_transition = fmt::format("{} -> {}: {}", from, to, change.cause);
        log::event(log::Level::Warning, "peer_role",
                   fmt::format("peer: {} -> {}: {}", upper(from), upper(to), change.cause),
                   {{"from", from}, {"to", to}});
    }
    if (reaction.notice) log::warning("peer: {}", *reaction.notice);
    for (const PeerAction& action : reaction.actions) run(action);
    if (reaction.change && hooks_.role_changed)
        hooks_.role_changed(reaction.change->from, reaction.change->to);
    rearm();
}

void PeerDriver::run(const PeerAction& action) {
    if (const auto* send = std::get_if<SendAdvert>(&action)) {
        const std::vector<std::uint8_t> datagram = encode(send->advert, *key_);
        const std::size_t sent = transport_->send(datagram);
        counters_.adverts_sent += sent;
        counters_.adverts_send_failed += settings_.peers.size() - sent;
    } else if (std::holds_alternative<AcquireVip>(action)) {
        acquire_vip();
    } else if (std::holds_alternative<ReleaseVip>(action)) {
        release_vip();
    } else if (const auto* announce = std::get_if<AnnounceVip>(&action)) {
        announce_burst(announce->detail);
    } else if (const auto* notify = std::get_if<RunNotify>(&action)) {
        notify_->run(upper(to_string(notify->role)));
    } else if (const auto* adopt = std::get_if<AdoptPolicy>(&action)) {
        if (hooks_.adopt_policy) hooks_.adopt_policy(adopt->policy, adopt->from);
    } else if (const auto* lease = std::get_if<SendLeaseRequest>(&action)) {
        // The VIP could not be removed: no early release, so the peer is granted the lease no
        // sooner than it runs out at the arbiter.
        if (lease->request.kind == LeaseKind::Release && vip_held_) {
            log::error("peer: the VIP is still here; the arbiter's lease is left to run out");
            return;
        }
        if (settings_.arbiter && transport_->send_to(encode(lease->request, *key_), *settings_.arbiter))
            ++counters_.lease_requests_sent;
    }
}

void PeerDriver::acquire_vip() {
    const auto added = addresses_->add(*vip_);
    if (!added.ok()) {
        // Without the address this instance cannot serve: FAULT gives the peer the VIP.
        log::error("peer: {}", added.error());
        set_fault("vip", added.error());
        return;
    }
    vip_held_ = true;
    log::info("peer: VIP {} added to {}", vip_->to_string(), settings_.interface);
    announce_burst("takeover");
}

void PeerDriver::release_vip() {
    if (announce_timer_) announce_timer_->cancel();
    announcements_left_ = 0;
    if (!addresses_ || !vip_) return;
    const auto removed = addresses_->remove(*vip_);
    if (!removed.ok()) {
        log::error("peer: {}", removed.error());
        return;
    }
    if (removed.value())
        log::info("peer: VIP {} removed from {}", vip_->to_string(), settings_.interface);
    vip_held_ = false;
}

void PeerDriver::announce_burst(std::string_view why) {
    if (!announcer_ || !vip_) return;
    if (auto sent = announcer_->announce(*vip_); !sent.ok()) log::warning("peer: {}", sent.error());
    log::debug("peer: VIP {} announced ({})", vip_->ip_string(), why);
    announcements_left_ = static_cast<int>(kAnnounceGaps.size());
    if (announce_timer_) announce_timer_->arm(kAnnounceGaps[0]);
}

void PeerDriver::on_announce_timer() {
    if (stopped_ || !vip_held_ || announcements_left_ <= 0) return;
    if (auto sent = announcer_->announce(*vip_); !sent.ok()) log::warning("peer: {}", sent.error());
    --announcements_left_;
    const std::size_t next = kAnnounceGaps.size() - static_cast<std::size_t>(announcements_left_);
    if (announcements_left_ > 0 && next < kAnnounceGaps.size())
        announce_timer_->arm(kAnnounceGaps[next]);
}

void PeerDriver::rearm() {
    if (stopped_ || !machine_ || !timer_) return;
    if (const auto deadline = machine_->next_deadline()) scheduler_.arm_at(*timer_, *deadline);
}

}  // namespace lb::peer
