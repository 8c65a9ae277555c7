// One client connection and its connection to a site: take the accepted fd, connect (with one
// retry on the other site when allowed), forward bytes both ways through one Forwarder (copy or
// splice, made once connected), enforce connect and idle timeouts on the host's Scheduler, and
// end exactly once with a Termination. Both sockets are raw non-blocking fds in the worker's
// ReadinessSet (one epoll_ctl each for their whole life). Lives on one worker loop; owned by
// that worker's session table, which destroys it after the callback that closed it has returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "lb/base/scheduler.h"
#include "lb/proxy/active_site.h"
#include "lb/proxy/buffer_pool.h"
#include "lb/proxy/forwarder.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/proxy_header_parser.h"
#include "lb/proxy/proxy_settings.h"
#include "lb/proxy/readiness_set.h"
#include "lb/proxy/termination.h"

namespace lb {

class ProxySession;

// What a session needs from its worker.
class SessionHost {
public:
    // Where the session's sockets report their readiness.
    [[nodiscard]] virtual ReadinessSet& readiness() noexcept = 0;
    // Time and timers for the session's connect and idle timeouts (on loop()'s thread).
    [[nodiscard]] virtual Scheduler& scheduler() noexcept = 0;
    [[nodiscard]] virtual BufferPool& buffers() noexcept = 0;
    [[nodiscard]] virtual KernelPipePool& pipes() noexcept = 0;
    // Passive health: a connect to `site` failed (refused, timed out, unreachable).
    virtual void on_connect_failed(std::size_t site, const Termination& why) noexcept = 0;
    // ... and one to `site` succeeded: the failures before it were not in a row.
    virtual void on_connected(std::size_t site) noexcept = 0;
    // The session has closed its sockets: log it, count it, then destroy it, but only once the
    // callback that closed it has returned (it may be deep inside the session).
    virtual void on_session_closed(ProxySession& session) noexcept = 0;

protected:
    ~SessionHost() = default;
};

class ProxySession final : public ForwarderEvents, private ReadinessWatcher {
public:
    ProxySession(SessionHost& host, std::uint64_t id, std::shared_ptr<const ProxySettings> settings,
                 std::size_t listener_index);
    ~ProxySession();
    ProxySession(const ProxySession&) = delete;
    ProxySession& operator=(const ProxySession&) = delete;

    // Takes the accepted client `fd` (non-blocking; the session closes it). A negative errno when
    // it could not be watched: it is closed; destroy the session directly (on_session_closed
    // will not come).
    [[nodiscard]] int adopt_client(int fd) noexcept;
    // Connects to the snapshot's active site and starts forwarding once connected.
    void start(SiteSnapshot snapshot) noexcept;
    // Ends the session; idempotent. Resets are passed on as resets (SO_LINGER 0).
    void close(Termination why) noexcept;

    [[nodiscard]] std::uint64_t id() const { return id_; }
    [[nodiscard]] std::size_t listener_index() const { return listener_index_; }
    [[nodiscard]] const ProxySettings& settings() const { return *settings_; }
    // Fetched at accept when connection logs are on, else on first request while open. With
    // accept_proxy, the address the PROXY header carries once it has come.
    [[nodiscard]] const std::optional<SocketAddress>& client_address() noexcept;
    [[nodiscard]] std::optional<std::size_t> site() const {
        return site_index_ ? std::optional<std::size_t>(*site_index_) : std::nullopt;
    }
    [[nodiscard]] const Termination& termination() const { return termination_; }
    [[nodiscard]] std::chrono::system_clock::time_point accepted_wall() const {
        return accepted_wall_;
    }
    // ms since accept, on the scheduler's clock.
    [[nodiscard]] std::uint64_t age_ms() const {
        return static_cast<std::uint64_t>((now() - accepted_at_).count());
    }
    // ms from accept to the site's connect completing; nullopt if it never did.
    [[nodiscard]] std::optional<std::uint64_t> connect_ms() const;
    [[nodiscard]] std::uint64_t bytes_to_site() const;
    [[nodiscard]] std::uint64_t bytes_to_client() const;
    [[nodiscard]] int retries() const { return retried_ ? 1 : 0; }
    [[nodiscard]] bool closing() const { return closing_; }

private:
    void connect_to(std::size_t site) noexcept;
    // accept_proxy: the client's header is read before any site is chosen. The socket is read
    // only as far as the header goes (peek, then consume), so the client's own bytes stay in it
    // for the forwarder.
    void await_proxy_header() noexcept;
    void read_proxy_header() noexcept;
    void load_client_address() noexcept;
    void on_ready(int tag, std::uint32_t events) noexcept override;
    void on_site_connect_result(std::uint32_t events) noexcept;
    void on_connected() noexcept;
    void pump() noexcept;
    // Closes the site's socket (a failed connect before a retry, or the end).
    void close_site(bool reset) noexcept;
    // The listener's PROXY protocol header to the site, if it has one; false: the session is
    // closing.
    [[nodiscard]] bool send_proxy_header() noexcept;
    void on_connect_failed(Termination why) noexcept;
    void arm_idle_timer() noexcept;
    void on_timer() noexcept;
    // Adds the bytes moved since the last call to the listener's and the site's counters.
    void account_bytes() noexcept;
    [[nodiscard]] const RouteCounters& counters() const {
        return settings_->routes[listener_index_].counters;
    }
    [[nodiscard]] TimePoint now() const { return host_.scheduler().now(); }

    void on_forward_progress() noexcept override;
    void on_forward_finished() noexcept override;
    void on_forward_failed(ForwardFailure failure) noexcept override;

    enum Tag : int { kClient = 0, kSite = 1 };

    SessionHost& host_;
    const std::uint64_t id_;
    const std::shared_ptr<const ProxySettings> settings_;
    const std::size_t listener_index_;

    int client_fd_ = -1;
    int site_fd_ = -1;
    Readiness client_ready_;
    Readiness site_ready_;
    ReadinessSet::Key client_key_;
    ReadinessSet::Key site_key_;
    // Connect timeout, then idle timeout; made at start(). A LoopScheduler timer frees its own
    // uv handle once destroyed.
    std::unique_ptr<Timer> timer_;
    // Forwarding, once connected, on the heap so an unconnected session pays for neither
    // strategy. Stopped at close, destroyed with the session.
    std::unique_ptr<Forwarder> forwarder_;
    // Bytes already added to the counters; after close, the session's totals.
    std::uint64_t accounted_to_site_ = 0;
    std::uint64_t accounted_to_client_ = 0;
    bool counted_ = false;  // holds a place in the listener's and the site's `active`

    SiteSnapshot snapshot_{};
    std::optional<SocketAddress> client_;
    // accept_proxy: the header's bytes so far, then what it said (on the heap: most listeners
    // never accept a header, and an idle session's size is the data path's memory).
    std::unique_ptr<std::vector<std::uint8_t>> header_bytes_;
    std::unique_ptr<ProxyHeader> received_header_;
    bool awaiting_header_ = false;
    std::optional<std::uint8_t> site_index_;  // 0 primary, 1 standby
    std::chrono::system_clock::time_point accepted_wall_{};
    TimePoint accepted_at_{};
    TimePoint connected_at_{};
    TimePoint last_activity_{};
    Termination termination_{};
    bool connected_ = false;
    bool retried_ = false;
    bool closing_ = false;
};

}  // namespace lb
