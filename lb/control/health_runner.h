// Drives the active health checks of every site on one loop (the main loop): one timer and one
// Prober per site, so a slow check of one site never delays another's, and one SiteMonitor per
// site that turns results (active, and passive ones from the data path) into Up/Down changes.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "health/check_result.h"
#include "health/check_state.h"
#include "health/prober.h"
#include "health/site_monitor.h"

namespace lb {

// One site as status output shows it.
struct SiteHealthStatus {
    std::string name;
    std::string target;  // "http 10.0.0.11:443 gateway/", see CheckTarget::to_string
    health::SiteSnapshot state;
};

// Every member function runs on the loop's thread only; the data path's workers post their
// passive failures to it.
class HealthRunner {
public:
    // Called on every health change (Unknown→Up, Unknown→Down, Up→Down, Down→Up) with the result
    // that completed the streak ("http 503", "passive: connect refused").
    using HealthChanged = std::function<void(std::size_t site_index, health::Health new_health,
                                             const std::string& reason)>;
    // Called after every active check (metrics: lb_health_checks_total, the duration histogram).
    using CheckCompleted =
        std::function<void(std::size_t site_index, const health::CheckResult& result)>;
    // Tests substitute fakes; the daemon uses health::make_prober.
    using ProberFactory =
        std::function<std::unique_ptr<health::Prober>(uv_loop_t* loop, config::CheckKind kind)>;

    // Every site starts Unknown and is checked at once, then every `interval` (start to start).
    // Nothing runs before the loop does, so callbacks may still be set after construction. The
    // callbacks may call update() and stop(), but must not destroy the runner.
    HealthRunner(uv_loop_t* loop, const config::Config& config, HealthChanged on_health_changed,
                 ProberFactory make_prober = &health::make_prober);
    ~HealthRunner();  // stop()
    HealthRunner(const HealthRunner&) = delete;
    HealthRunner& operator=(const HealthRunner&) = delete;

    void set_on_check_completed(CheckCompleted on_check_completed);

    // A connect from the data path to `site_index` failed (refused, timed out, unreachable). It
    // counts as a failed check at once: `fall` of them in a row bring the site down before the
    // next active check. Ignored after stop() or for an unknown index.
    void record_passive_failure(std::size_t site_index, const std::string& reason);

    // Reload. Sites are matched by name: a surviving site keeps its health and streaks and takes
    // the new rise/fall/interval (the next check is due at last start + new interval); if its
    // check target changed, the check in flight is abandoned and the next one uses the new
    // target. New sites start Unknown; removed sites stop. Indices follow the new config.
    void update(const config::Config& config);

    // Cancels every check and closes every handle (uv_close); run the loop afterwards until it
    // has no handles left, then uv_loop_close succeeds. Idempotent; final.
    void stop();

    [[nodiscard]] std::size_t site_count() const { return sites_.size(); }
    // Unknown for an index out of range.
    [[nodiscard]] health::Health health(std::size_t site_index) const;
    [[nodiscard]] std::vector<SiteHealthStatus> status() const;

private:
    struct Site;

    static void on_timer(uv_timer_t* timer) noexcept;
    [[nodiscard]] std::unique_ptr<Site> make_site(std::size_t index, const config::Config& config,
                                                  const config::Site& site);
    void start_check(Site& site);
    void on_check_done(Site& site, health::CheckResult result);
    void arm(Site& site);
    [[nodiscard]] TimePoint now() const;

    uv_loop_t* loop_;
    HealthChanged on_health_changed_;
    CheckCompleted on_check_completed_;
    ProberFactory make_prober_;
    std::vector<std::unique_ptr<Site>> sites_;
    bool stopped_ = false;
};

}  // namespace lb
