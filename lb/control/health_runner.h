// Drives the active health checks of every site on the main loop: one timer and one Prober per
// site, so a slow check of one site never delays another's, and one SiteMonitor per site that
// turns results (active, and passive ones from the data path) into Up/Down changes. The
// monitors are the one home of each site's health history; everyone else reads snapshot().
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "health/check_result.h"
#include "health/prober.h"
#include "health/site_monitor.h"
#include "lb/base/scheduler.h"

namespace lb {

// What the runner reports, on the main loop. Implementations may call update() and stop(), but
// must not destroy the runner.
class HealthEvents {
public:
    // After every active check with a verdict or an inconclusive one (metrics, duration).
    virtual void on_check_completed(std::size_t site, const health::CheckResult& result) = 0;
    // Every completed streak: Unknown→Up, Unknown→Down, Up→Down, Down→Up.
    virtual void on_health_changed(std::size_t site, const health::HealthChange& change) = 0;

protected:
    ~HealthEvents() = default;
};

// Every member function runs on the scheduler's thread (the main loop) only; the data path's
// workers post their passive failures to it.
class HealthRunner {
public:
    // Makes the prober for a check kind; the daemon's binds health::make_prober to its loop,
    // tests substitute fakes.
    using ProberFactory = std::function<std::unique_ptr<health::Prober>(config::CheckKind kind)>;

    // Every site starts Unknown and is checked at once, then every `interval` (start to start).
    // Nothing runs before the first timer fires.
    HealthRunner(Scheduler& scheduler, const config::Config& config, HealthEvents& events,
                 ProberFactory make_prober);
    ~HealthRunner();  // stop()
    HealthRunner(const HealthRunner&) = delete;
    HealthRunner& operator=(const HealthRunner&) = delete;

    // A connect from the data path to `site_index` failed; `connects_succeeded` is the data
    // path's running count of connects to it that succeeded. `fall` failures in a row over at
    // least `passive_window` bring the site down before the next active check
    // (SiteMonitor::passive_failure). Ignored after stop() or for an unknown index.
    void record_passive_failure(std::size_t site_index, health::CheckCause cause,
                                std::string reason, std::uint64_t connects_succeeded);

    // The operator sets a site's health (`set server B/S health up|down`): reported at once like a
    // completed streak; active checks go on and may change it again. False: unknown index or
    // stopped.
    bool force_health(std::size_t site_index, health::Health health);

    // Reload. Sites are matched by name: a surviving site keeps its health, streaks and history
    // and takes the new rise/fall/interval (the next check is due at last start + new
    // interval); if its check target changed, the check in flight is abandoned and the next one
    // uses the new target. New sites start Unknown; removed sites stop. Indices follow the new
    // config.
    void update(const config::Config& config);

    // Cancels every check and timer. Idempotent; final.
    void stop();

    [[nodiscard]] std::size_t site_count() const { return sites_.size(); }
    // Unknown for an index out of range.
    [[nodiscard]] health::Health health(std::size_t site_index) const;
    // The site's health and history; a default (Unknown) snapshot for an index out of range.
    [[nodiscard]] health::SiteSnapshot snapshot(std::size_t site_index) const;
    // "http 10.0.0.11:443 gateway/", see CheckTarget::to_string; "" out of range.
    [[nodiscard]] std::string target(std::size_t site_index) const;
    [[nodiscard]] const std::string& name(std::size_t site_index) const;

private:
    struct Site;

    [[nodiscard]] std::unique_ptr<Site> make_site(std::size_t index, const config::Config& config,
                                                  const config::Site& site);
    void start_check(Site& site);
    void on_check_done(Site& site, health::CheckResult result);
    void arm(Site& site);

    Scheduler& scheduler_;
    HealthEvents& events_;
    ProberFactory make_prober_;
    std::vector<std::unique_ptr<Site>> sites_;
    bool stopped_ = false;
};

}  // namespace lb
