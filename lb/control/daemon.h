// The running balancer, wired: the main loop (signals, health, policy, admin, the HTTP endpoint)
// plus the data-path workers. The daemon owns the parts and connects them — health verdicts to
// the policy, the policy's decision to the workers, the workers' failed connects back to the
// health checks, everything an operator sees to the console — and decides nothing itself.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "lb/admin/admin_server.h"
#include "lb/admin/controller_commands.h"
#include "lb/base/event_loop.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"
#include "lb/base/uv_handle.h"
#include "lb/control/health_runner.h"
#include "lb/control/operator_console.h"
#include "lb/control/passive_checks.h"
#include "lb/control/peer_link.h"
#include "lb/control/policy_driver.h"
#include "lb/control/publishers.h"
#include "lb/metrics/metrics.h"
#include "lb/proxy/active_site.h"
#include "lb/proxy/connection_budget.h"
#include "lb/proxy/traffic_counters.h"
#include "lb/proxy/worker.h"
#include "lb/web/http_endpoint.h"

namespace lb {

class Daemon {
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
    // SIGHUP / `reload` (lb/control/reload.cpp): re-reads the config file. An invalid file, or
    // one whose new listener addresses cannot be bound, is rejected as a whole and the running
    // config stays. Main loop.
    [[nodiscard]] Result<Ok> reload();

private:
    [[nodiscard]] static std::vector<std::string> listener_names(const config::Config& config);
    // The reload itself; reload() wraps it in the service manager's RELOADING=1 … READY=1.
    [[nodiscard]] Result<Ok> apply_reload();
    void on_signal(int signum);
    void stop(Duration drain);
    [[nodiscard]] Result<Ok> watch_signals();
    // Opens this config's sockets for the listeners in `names`, one per worker.
    [[nodiscard]] Result<std::vector<std::map<std::string, int>>> open_listeners(
        const config::Config& config, const std::vector<std::string>& names, std::size_t workers);

    config::Config config_;
    EventLoop loop_;
    LoopScheduler scheduler_;
    ActiveSite active_site_;
    ConnectionBudget budget_;
    TrafficCounters traffic_;  // before metrics_, which reads it
    metrics::Metrics metrics_;
    PolicyDriver policy_;
    HealthPublisher health_events_;
    HealthRunner health_;
    PassiveChecks passive_checks_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<PeerLink> peer_;  // with a [peer] section
    OperatorConsole console_;
    admin::ControllerCommands commands_{console_};
    std::unique_ptr<admin::AdminServer> admin_;
    std::unique_ptr<web::HttpEndpoint> http_;
    std::vector<UvHandle<uv_signal_t>> signals_;
    bool stopping_ = false;
};

// Number of worker threads for `global.workers` (0 = one per core).
[[nodiscard]] std::size_t worker_count(int configured);

}  // namespace lb
