// The peer pair, wired: PeerDriver (lb/peer) on the main loop, connected to the policy — the
// local decision goes out in every advert, a newer one from the peer is adopted (and written to
// the state file by the PolicyDriver), and only the MASTER decides (a BACKUP or FAULT instance
// follows) — and to what operators see (`show peer`, lb_peer_* metrics).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "lb/admin/controller.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"
#include "lb/control/policy_driver.h"
#include "lb/metrics/peer_families.h"
#include "lb/peer/peer_driver.h"

namespace lb {

class PeerLink {
public:
    PeerLink(uv_loop_t* loop, Scheduler& scheduler, const config::Config& config,
             PolicyDriver& policy);
    ~PeerLink();
    PeerLink(const PeerLink&) = delete;
    PeerLink& operator=(const PeerLink&) = delete;

    // After the PolicyDriver started (the state file's decision is the first advertised).
    // The instance starts as a follower; it leads once it is MASTER.
    [[nodiscard]] Result<Ok> start();
    // SIGTERM and `peer step-down`: hand the VIP over (priority-0 advert) before draining.
    void step_down(std::string_view cause);
    // `peer force-master`.
    [[nodiscard]] admin::Outcome force_master();
    // Exit: the VIP goes, the peer is told. Idempotent.
    void stop();

    [[nodiscard]] admin::PeerView view() const;
    [[nodiscard]] metrics::PeerCounters counters() const;
    [[nodiscard]] std::string role_name() const;  // "master" | "backup" | "fault" | "init"

private:
    [[nodiscard]] peer::AdvertPolicy local_policy() const;
    // A site up or not yet checked: this instance's checks do not find both down.
    [[nodiscard]] bool reaches_site() const;

    PolicyDriver& policy_;
    policy::SiteNames names_;
    std::unique_ptr<peer::PeerDriver> driver_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for the policy observer
};

}  // namespace lb
