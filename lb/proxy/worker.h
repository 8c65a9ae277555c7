// One data-path thread: its own EventLoop (and a LoopScheduler on it for the sessions' and the
// drain's timers), its own SO_REUSEPORT listener sockets, the sessions it accepted (a connection
// never leaves its worker) and its buffer and kernel-pipe pools. Other threads talk to it only
// by posting tasks to its loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lb/base/event_loop.h"
#include "lb/base/scheduler.h"
#include "lb/base/timer_heap.h"
#include "lb/proxy/active_site.h"
#include "lb/proxy/connection_budget.h"
#include "lb/proxy/listener.h"
#include "lb/proxy/proxy_session.h"
#include "lb/proxy/readiness_set.h"

namespace lb {

// What the data path reports to the control plane. Called on worker threads: implementations
// must only post or touch atomics.
class DataPathObserver {
public:
    virtual void on_connect_failed(std::size_t site, const Termination& why) noexcept = 0;
    // A connect to `site` succeeded (a connect failing then says less: see PassiveChecks).
    virtual void on_connected(std::size_t site) noexcept = 0;

protected:
    ~DataPathObserver() = default;
};

// One open session as operators see it (`show sessions`).
struct SessionView {
    std::uint64_t id = 0;
    std::string client;
    std::string listener;
    std::string site;
    std::uint64_t age_ms = 0;
    std::uint64_t bytes_to_site = 0;
    std::uint64_t bytes_to_client = 0;
    bool established = false;
};

class Worker final : public SessionHost, public ListenerEvents {
public:
    Worker(std::size_t index, const ActiveSite& active_site, ConnectionBudget& budget,
           DataPathObserver& observer, std::shared_ptr<const ProxySettings> settings);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Starts the thread; `listen_fds[i]` is this worker's socket for settings->routes[i].
    void start(std::vector<int> listen_fds);
    // Reload: new sessions use `settings`; open sessions keep theirs. A listener whose name and
    // bind address stay keeps its socket (no connection in its accept queue is lost); others
    // take their socket from `fresh_fds` (by listener name); listeners gone are closed.
    // Any thread.
    void reconfigure(std::shared_ptr<const ProxySettings> settings,
                     std::map<std::string, int> fresh_fds);
    // Stop accepting; let sessions run for up to `drain`, then close the rest; the thread exits
    // once everything is closed. Any thread.
    void stop(Duration drain);
    void join();

    // Runs `done` on this worker's loop with its open sessions. Any thread; `done` must post
    // the result to wherever it is needed. False (and `done` never runs) once the worker has
    // finished stopping.
    [[nodiscard]] bool collect_sessions(std::function<void(std::vector<SessionView>)> done);
    // Closes every session on `site` (maint, pin --kill). Any thread.
    void close_sessions_on_site(std::size_t site);

    // Nanoseconds this worker's loop has waited for events (HAProxy's Idle_pct). Any thread.
    [[nodiscard]] std::uint64_t idle_time_ns() { return loop_.idle_time_ns(); }

private:
    void run(std::vector<int> listen_fds);
    void apply(std::shared_ptr<const ProxySettings> settings, std::map<std::string, int> fresh_fds);
    [[nodiscard]] std::unique_ptr<Listener> open_listener(std::size_t index, int fd);
    void begin_stop(Duration drain);
    void close_all_sessions(Termination why);
    void finish_if_stopped();
    // Destroys the sessions that closed since the last call (see on_session_closed).
    static void on_reap(uv_check_t* check) noexcept;
    static void on_reap_soon(uv_idle_t* idle) noexcept;
    void reap() noexcept;
    void retire(ProxySession& session) noexcept;

    ReadinessSet& readiness() noexcept override { return readiness_; }
    Scheduler& scheduler() noexcept override { return scheduler_; }
    BufferPool& buffers() noexcept override { return buffers_; }
    KernelPipePool& pipes() noexcept override { return pipes_; }
    void on_connect_failed(std::size_t site, const Termination& why) noexcept override;
    void on_connected(std::size_t site) noexcept override;
    void on_session_closed(ProxySession& session) noexcept override;
    void on_client_accepted(std::size_t listener_index, int fd) noexcept override;
    void on_accept_error(std::size_t listener_index, int status) noexcept override;

    const std::size_t index_;
    const ActiveSite& active_site_;
    ConnectionBudget& budget_;
    DataPathObserver& observer_;
    std::shared_ptr<const ProxySettings> settings_;

    EventLoop loop_;
    // The sessions' timers: one heap behind one libuv timer (see TimerHeap).
    TimerHeap scheduler_{loop_.raw()};
    BufferPool buffers_;
    KernelPipePool pipes_;
    ReadinessSet readiness_;
    // Sessions closed in a callback, destroyed right after the loop's poll phase (the check
    // handle); the idle handle keeps the loop from waiting for I/O meanwhile.
    std::vector<ProxySession*> closed_;
    UvHandle<uv_check_t> reaper_;
    UvHandle<uv_idle_t> reaper_wakeup_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::unordered_map<std::uint64_t, std::unique_ptr<ProxySession>> sessions_;
    std::uint64_t next_session_id_ = 1;
    std::unique_ptr<Timer> drain_timer_;  // armed while draining
    std::uint64_t last_accept_error_log_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace lb
