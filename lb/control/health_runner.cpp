// HealthRunner: timers and probers around pure SiteMonitors. Events always come last in a
// handler, and the handler touches nothing afterwards, because they may update() or stop().
#include "lb/control/health_runner.h"

#include <algorithm>
#include <utility>

#include "health/check_target.h"

namespace lb {

struct HealthRunner::Site {
    std::size_t index = 0;
    std::string name;
    health::CheckTarget target;
    health::SiteMonitor monitor;
    std::unique_ptr<health::Prober> prober;  // destroyed before the monitor: cancels its check
    std::unique_ptr<Timer> timer;

    Site(std::size_t site_index, std::string site_name, health::CheckTarget check_target,
         health::SiteMonitor site_monitor)
        : index(site_index),
          name(std::move(site_name)),
          target(std::move(check_target)),
          monitor(std::move(site_monitor)) {}
};

namespace {

// health.port, else the port the first listener's connections use on this site.
health::CheckTarget target_for(const config::Config& config, const config::Site& site) {
    std::uint16_t port = 0;
    if (site.health.port)
        port = *site.health.port;
    else if (!config.listeners.empty())
        port = config.site_port(site, config.listeners.front());
    return health::CheckTarget::from_settings(site.health, site.address.with_port(port));
}

}  // namespace

HealthRunner::HealthRunner(Scheduler& scheduler, const config::Config& config, HealthEvents& events,
                           ProberFactory make_prober)
    : scheduler_(scheduler), events_(events), make_prober_(std::move(make_prober)) {
    for (std::size_t i = 0; i < config.sites.size(); ++i) {
        sites_.push_back(make_site(i, config, config.sites[i]));
        arm(*sites_.back());
    }
}

HealthRunner::~HealthRunner() { stop(); }

std::unique_ptr<HealthRunner::Site> HealthRunner::make_site(std::size_t index,
                                                            const config::Config& config,
                                                            const config::Site& site) {
    const config::HealthSettings& settings = site.health;
    auto out = std::make_unique<Site>(
        index, site.name, target_for(config, site),
        health::SiteMonitor(settings.rise, settings.fall, settings.interval, scheduler_.now(),
                            settings.passive_window));
    out->prober = make_prober_(settings.kind);
    Site* const self = out.get();  // the timer dies with its site, so `self` is always valid
    out->timer = scheduler_.make_timer([this, self] { start_check(*self); });
    return out;
}

void HealthRunner::record_passive_failure(std::size_t site_index, health::CheckCause cause,
                                          std::string reason,
                                          std::uint64_t connects_succeeded) {
    if (stopped_ || site_index >= sites_.size()) return;
    const auto change = sites_[site_index]->monitor.passive_failure(
        scheduler_.now(), cause, std::move(reason), connects_succeeded);
    if (change) events_.on_health_changed(site_index, *change);
}

bool HealthRunner::force_health(std::size_t site_index, health::Health health) {
    if (stopped_ || site_index >= sites_.size()) return false;
    const auto change = sites_[site_index]->monitor.force(scheduler_.now(), health);
    if (change) events_.on_health_changed(site_index, *change);
    return true;
}

void HealthRunner::update(const config::Config& config) {
    if (stopped_) return;
    std::vector<std::unique_ptr<Site>> next;
    for (std::size_t i = 0; i < config.sites.size(); ++i) {
        const config::Site& wanted = config.sites[i];
        const auto same_name = [&](const std::unique_ptr<Site>& s) {
            return s && s->name == wanted.name;
        };
        const auto old = std::find_if(sites_.begin(), sites_.end(), same_name);
        if (old == sites_.end()) {
            next.push_back(make_site(i, config, wanted));
        } else {
            std::unique_ptr<Site> site = std::move(*old);
            site->index = i;
            site->monitor.reconfigure(wanted.health.rise, wanted.health.fall,
                                      wanted.health.interval, wanted.health.passive_window);
            if (auto target = target_for(config, wanted); target != site->target) {
                // A result for the old target would say nothing about the new one.
                site->prober = make_prober_(wanted.health.kind);  // cancels the old check
                site->monitor.check_abandoned(scheduler_.now());
                site->target = std::move(target);
            }
            next.push_back(std::move(site));
        }
        arm(*next.back());
    }
    sites_ = std::move(next);  // what is left behind was removed: probers cancel, timers close
}

void HealthRunner::stop() {
    if (stopped_) return;
    stopped_ = true;
    sites_.clear();
}

health::Health HealthRunner::health(std::size_t site_index) const {
    if (site_index >= sites_.size()) return health::Health::Unknown;
    return sites_[site_index]->monitor.health();
}

health::SiteSnapshot HealthRunner::snapshot(std::size_t site_index) const {
    if (site_index >= sites_.size()) return {};
    return sites_[site_index]->monitor.snapshot();
}

std::string HealthRunner::target(std::size_t site_index) const {
    if (site_index >= sites_.size()) return {};
    return sites_[site_index]->target.to_string();
}

const std::string& HealthRunner::name(std::size_t site_index) const {
    static const std::string kNone;
    if (site_index >= sites_.size()) return kNone;
    return sites_[site_index]->name;
}

void HealthRunner::start_check(Site& site) {
    const TimePoint at = scheduler_.now();
    const auto due = site.monitor.next_deadline();
    if (!due) return;  // a check is in flight: checks of one site never overlap
    if (*due > at) return arm(site);
    site.monitor.check_started(at);
    Site* const target = &site;  // valid while its prober can still call back
    site.prober->start(site.target, [this, target](health::CheckResult result) {
        on_check_done(*target, std::move(result));
    });
}

void HealthRunner::on_check_done(Site& site, health::CheckResult result) {
    // A check this host could not run (out of fds) says nothing about the site.
    std::optional<health::HealthChange> change;
    if (result.inconclusive)
        site.monitor.check_inconclusive(scheduler_.now(), result);
    else
        change = site.monitor.check_finished(scheduler_.now(), result);
    arm(site);
    const std::size_t index = site.index;
    // From here `site` may be destroyed by the events.
    events_.on_check_completed(index, result);
    if (change && !stopped_) events_.on_health_changed(index, *change);
}

void HealthRunner::arm(Site& site) {
    const auto due = site.monitor.next_deadline();
    if (!due) {
        site.timer->cancel();  // re-armed when the check in flight finishes
        return;
    }
    scheduler_.arm_at(*site.timer, *due);
}

}  // namespace lb
