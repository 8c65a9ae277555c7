// The running balancer: the main loop (signals, and later health, policy, admin, peers) plus the
// data-path workers. Wires the policy's decision into ActiveSite and the workers' connect
// failures back into passive health.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/proxy/active_site.h"
#include "lb/admin/admin_server.h"
#include "lb/admin/controller.h"
#include "lb/base/event_loop.h"
#include "lb/base/result.h"
#include "lb/base/uv_handle.h"
#include "lb/proxy/connection_budget.h"
#include "lb/control/health_runner.h"
#include "lb/web/http_endpoint.h"
#include "lb/metrics/metrics.h"
#include "lb/control/policy_driver.h"
#include "lb/proxy/traffic_counters.h"
#include "lb/proxy/worker.h"

namespace lb {

class Daemon final : public DataPathObserver, public admin::Controller {
public:
    explicit Daemon(config::Config config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Binds every listener for every worker and starts the threads. An error leaves nothing
    // running.
    [[nodiscard]] Result<Ok> start();
    // Runs the main loop until a stop signal has been handled and every worker has exited.
    void run();
    // SIGHUP / `reload`: re-reads the config file. An invalid file, or one whose new listener
    // addresses cannot be bound, is rejected as a whole and the running config stays. Main loop.
    [[nodiscard]] Result<Ok> reload();

    // admin::Controller (lb/daemon_controller.cpp): what operators see and do. Main loop.
    [[nodiscard]] admin::Status status() override;
    void sessions(std::function<void(std::vector<admin::SessionInfo>)> done) override;
    admin::Outcome pin(const std::string& site, bool kill_other_sessions) override;
    admin::Outcome unpin() override;
    admin::Outcome failback() override;
    admin::Outcome set_site_state(const std::string& site, const std::string& state) override;
    void reload(std::function<void(admin::Outcome)> done) override;

private:
    void on_signal(int signum);
    void stop(Duration drain);
    // Opens this config's sockets for the listeners in `names`, one per worker.
    [[nodiscard]] Result<std::vector<std::map<std::string, int>>> open_listeners(
        const config::Config& config, const std::vector<std::string>& names);
    // Per site, by name: what the status output shows beyond the health runner's own state.
    struct SiteRecord {
        std::optional<health::CheckResult> last_check;
        TimePoint last_check_at{};
        std::uint64_t checks_failed = 0;
        std::uint64_t health_changes = 0;
        TimePoint last_change{};
    };
    void on_check_completed(std::size_t site, const health::CheckResult& result);
    void on_transition(const policy::Transition& transition);
    void publish_decision_metrics();
    [[nodiscard]] std::optional<std::size_t> site_index(const std::string& name) const;
    [[nodiscard]] admin::SiteStatus site_status(std::size_t site, TimePoint now);
    static admin::Outcome outcome(const policy::CommandResult& result);
    void on_health_changed(std::size_t site, health::Health health, const std::string& reason);

    void on_connect_failed(std::size_t site, const Termination& why) noexcept override;

    config::Config config_;
    EventLoop loop_;
    ActiveSite active_site_;
    ConnectionBudget budget_;
    TrafficCounters traffic_;  // before metrics_, which reads it
    metrics::Metrics metrics_;
    PolicyDriver policy_;
    std::unique_ptr<HealthRunner> health_;
    std::unique_ptr<admin::AdminServer> admin_;
    std::unique_ptr<web::HttpEndpoint> http_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<UvHandle<uv_signal_t>> signals_;
    TimePoint started_at_{};
    std::map<std::string, SiteRecord> site_records_;
    std::string last_transition_;
    std::uint64_t failovers_ = 0;
    bool stopping_ = false;
};

// Number of worker threads for `global.workers` (0 = one per core).
[[nodiscard]] std::size_t worker_count(int configured);

}  // namespace lb
