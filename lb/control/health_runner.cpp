// HealthRunner: timers and probers around pure SiteMonitors. User callbacks always come last in
// a handler, and the handler touches nothing afterwards, because they may update() or stop().
#include "lb/control/health_runner.h"

#include <algorithm>
#include <utility>

#include "health/check_target.h"
#include "lb/base/uv_handle.h"

namespace lb {

struct HealthRunner::Site {
    HealthRunner* runner = nullptr;
    std::size_t index = 0;
    std::string name;
    health::CheckTarget target;
    health::SiteMonitor monitor;
    std::unique_ptr<health::Prober> prober;  // destroyed before the monitor: cancels its check
    UvHandle<uv_timer_t> timer;              // data = this Site

    Site(HealthRunner* owner, std::size_t site_index, std::string site_name,
         health::CheckTarget check_target, health::SiteMonitor site_monitor)
        : runner(owner),
          index(site_index),
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

HealthRunner::HealthRunner(uv_loop_t* loop, const config::Config& config,
                           HealthChanged on_health_changed, ProberFactory make_prober)
    : loop_(loop),
      on_health_changed_(std::move(on_health_changed)),
      make_prober_(std::move(make_prober)) {
    for (std::size_t i = 0; i < config.sites.size(); ++i) {
        sites_.push_back(make_site(i, config, config.sites[i]));
        arm(*sites_.back());
    }
}

HealthRunner::~HealthRunner() { stop(); }

void HealthRunner::set_on_check_completed(CheckCompleted on_check_completed) {
    on_check_completed_ = std::move(on_check_completed);
}

std::unique_ptr<HealthRunner::Site> HealthRunner::make_site(std::size_t index,
                                                            const config::Config& config,
                                                            const config::Site& site) {
    const config::HealthSettings& settings = site.health;
    auto out = std::make_unique<Site>(
        this, index, site.name, target_for(config, site),
        health::SiteMonitor(settings.rise, settings.fall, settings.interval, now()));
    out->prober = make_prober_(loop_, settings.kind);
    auto* timer = new uv_timer_t{};
    uv_timer_init(loop_, timer);  // cannot fail: no allocation, no syscall
    timer->data = out.get();
    out->timer = UvHandle<uv_timer_t>(timer);
    return out;
}

void HealthRunner::record_passive_failure(std::size_t site_index, const std::string& reason) {
    if (stopped_ || site_index >= sites_.size()) return;
    const auto change = sites_[site_index]->monitor.passive_failure(now(), reason);
    if (!change || !on_health_changed_) return;
    const HealthChanged notify = on_health_changed_;  // survives set/update inside the call
    notify(site_index, change->to, change->reason);
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
                                      wanted.health.interval);
            if (auto target = target_for(config, wanted); target != site->target) {
                // A result for the old target would say nothing about the new one.
                site->prober = make_prober_(loop_, wanted.health.kind);  // cancels the old check
                site->monitor.check_abandoned(now());
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

std::vector<SiteHealthStatus> HealthRunner::status() const {
    std::vector<SiteHealthStatus> out;
    out.reserve(sites_.size());
    for (const auto& site : sites_)
        out.push_back({site->name, site->target.to_string(), site->monitor.snapshot()});
    return out;
}

void HealthRunner::on_timer(uv_timer_t* timer) noexcept {
    auto* site = static_cast<Site*>(timer->data);
    if (site == nullptr) return;  // the site is gone (UvHandle cleared data)
    site->runner->start_check(*site);
}

void HealthRunner::start_check(Site& site) {
    const TimePoint at = now();
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
        site.monitor.check_abandoned(now());
    else
        change = site.monitor.check_finished(now(), result);
    arm(site);
    const std::size_t index = site.index;
    // From here `site` may be destroyed by the callbacks.
    if (on_check_completed_) {
        const CheckCompleted notify = on_check_completed_;
        notify(index, result);
    }
    if (change && !stopped_ && on_health_changed_) {
        const HealthChanged notify = on_health_changed_;
        notify(index, change->to, change->reason);
    }
}

void HealthRunner::arm(Site& site) {
    uv_timer_t* timer = site.timer.get();
    const auto due = site.monitor.next_deadline();
    if (!due) {
        uv_timer_stop(timer);  // re-armed when the check in flight finishes
        return;
    }
    const auto delay = std::max(Duration::zero(), *due - now());
    uv_timer_start(timer, &HealthRunner::on_timer, static_cast<std::uint64_t>(delay.count()), 0);
}

TimePoint HealthRunner::now() const {
    return TimePoint(Duration(static_cast<Duration::rep>(uv_now(loop_))));
}

}  // namespace lb
