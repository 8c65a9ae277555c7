// The running balancer: the main loop (signals, and later health, policy, admin, peers) plus the
// data-path workers. Wires the policy's decision into ActiveSite and the workers' connect
// failures back into passive health.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/active_site.h"
#include "lb/base/event_loop.h"
#include "lb/base/result.h"
#include "lb/base/uv_handle.h"
#include "lb/connection_budget.h"
#include "lb/health_runner.h"
#include "lb/policy_driver.h"
#include "lb/traffic_stats.h"
#include "lb/worker.h"

namespace lb {

class Daemon final : public DataPathObserver {
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

private:
    void on_signal(int signum);
    void stop(Duration drain);
    // Opens this config's sockets for the listeners in `names`, one per worker.
    [[nodiscard]] Result<std::vector<std::map<std::string, int>>> open_listeners(
        const config::Config& config, const std::vector<std::string>& names);
    void on_health_changed(std::size_t site, health::Health health, const std::string& reason);

    void on_connect_failed(std::size_t site, const Termination& why) noexcept override;
    void on_session_finished(const ProxySession& session) noexcept override;

    config::Config config_;
    EventLoop loop_;
    ActiveSite active_site_;
    ConnectionBudget budget_;
    TrafficStats stats_;
    PolicyDriver policy_;
    std::unique_ptr<HealthRunner> health_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<UvHandle<uv_signal_t>> signals_;
    bool stopping_ = false;
};

// Number of worker threads for `global.workers` (0 = one per core).
[[nodiscard]] std::size_t worker_count(int configured);

}  // namespace lb
