#include "lb/control/peer_link.h"

#include "lb/base/logger.h"

namespace lb {
namespace {

policy::SiteNames names_of(const config::Config& config) {
    policy::SiteNames names;
    for (std::size_t i = 0; i < names.size() && i < config.sites.size(); ++i)
        names[i] = config.sites[i].name;
    return names;
}

}  // namespace

PeerLink::PeerLink(uv_loop_t* loop, Scheduler& scheduler, const config::Config& config,
                   PolicyDriver& policy)
    : policy_(policy), names_(names_of(config)) {
    peer::PeerDriver::Hooks hooks;
    hooks.adopt_policy = [this](const peer::AdvertPolicy& advertised, const std::string& from) {
        const auto decision = peer::to_decision(advertised, names_);
        if (!decision) {
            log::warning("peer: {} advertises active site '{}', which is not one of ours; ignored",
                         from, advertised.active_site);
            return;
        }
        if (policy_.adopt_peer_decision(*decision))
            log::info("peer: adopted {}'s decision: active {}{}, epoch {}", from,
                      advertised.active_site, advertised.pinned ? " (pinned)" : "",
                      advertised.epoch);
    };
    hooks.role_changed = [this](peer::PeerRole, peer::PeerRole to) {
        policy_.set_follower(to != peer::PeerRole::Master);
    };
    driver_ = std::make_unique<peer::PeerDriver>(loop, scheduler, *config.peer, std::move(hooks));
}

PeerLink::~PeerLink() {
    *alive_ = false;
    stop();
}

Result<Ok> PeerLink::start() {
    policy_.set_follower(true);  // until this instance is MASTER
    if (auto started = driver_->start(local_policy()); !started.ok()) return started;
    policy_.add_observer([this, alive = std::weak_ptr<bool>(alive_)](const PolicyDriver&,
                                                                     const policy::Transition*) {
        if (const auto live = alive.lock(); live && *live) driver_->set_policy(local_policy());
    });
    policy_.add_health_observer([this, alive = std::weak_ptr<bool>(alive_)](const PolicyDriver&) {
        if (const auto live = alive.lock(); live && *live) driver_->set_reach(reaches_site());
    });
    driver_->set_reach(reaches_site());
    return Ok{};
}

void PeerLink::step_down(std::string_view cause) { driver_->step_down(cause); }

admin::Outcome PeerLink::force_master() {
    if (auto forced = driver_->force_master(); !forced.ok()) return {false, forced.error()};
    return {true, "MASTER by force: the VIP is taken without quorum"};
}

void PeerLink::stop() {
    if (driver_) driver_->stop();
}

peer::AdvertPolicy PeerLink::local_policy() const {
    return peer::to_advert_policy(policy_.policy().decision(), names_);
}

bool PeerLink::reaches_site() const {
    const policy::FailoverPolicy& policy = policy_.policy();
    for (policy::SiteIndex site = 0; site < policy::kSiteCount; ++site)
        if (policy.health(site) != policy::SiteHealth::Down) return true;
    return false;
}

std::string PeerLink::role_name() const { return std::string(peer::to_string(driver_->role())); }

admin::PeerView PeerLink::view() const {
    const peer::PeerStatus s = driver_->status();
    admin::PeerView out;
    out.id = s.id;
    out.role = std::string(peer::to_string(s.role));
    out.priority = s.priority;
    out.advertised_priority = s.advertised_priority;
    out.vip = s.vip;
    out.interface = s.interface;
    out.vip_held = s.vip_held;
    out.fault_reason = s.fault_reason;
    if (s.peer) {
        out.peer_id = s.peer->id;
        out.peer_role = std::string(peer::to_string(s.peer->role));
        out.peer_priority = s.peer->priority;
        out.peer_advert_age_ms = s.peer_advert_age_ms;
    }
    out.adverts_sent = s.adverts_sent;
    out.adverts_received = s.adverts_received;
    out.rejected = s.rejected;
    for (const auto& [key, count] : s.transitions)
        out.transitions.push_back(admin::PeerTransitionCount{key.first, key.second, count});
    out.last_transition = s.last_transition;
    out.arbiter = s.arbiter;
    out.lease_held = s.lease_held;
    out.forced = s.forced;
    out.quorum_wait = s.quorum_wait;
    out.lease_requests_sent = s.lease_requests_sent;
    out.lease_replies = s.lease_replies;
    return out;
}

metrics::PeerCounters PeerLink::counters() const {
    const peer::PeerStatus s = driver_->status();
    metrics::PeerCounters out;
    out.role = std::string(peer::to_string(s.role));
    out.vip_held = s.vip_held;
    out.lease_held = s.lease_held;
    out.transitions = s.transitions;
    out.sent_ok = s.adverts_sent;
    out.sent_error = s.adverts_send_failed;
    out.received_ok = s.adverts_received;
    out.rejected = s.rejected;
    return out;
}

}  // namespace lb
