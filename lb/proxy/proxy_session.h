// One client connection and its connection to a site: accept, connect (with one retry on the
// other site when allowed), splice bytes both ways through two Pipes, enforce connect and idle
// timeouts, and end exactly once with a Termination. Lives on one worker loop; owned by that
// worker's session table and erased by it when the last handle's close callback has run.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "lb/proxy/active_site.h"
#include "lb/proxy/pipe.h"
#include "lb/proxy/proxy_settings.h"
#include "lb/proxy/splice_forwarder.h"
#include "lb/proxy/termination.h"

namespace lb {

class ProxySession;

// What a session needs from its worker.
class SessionHost {
public:
    [[nodiscard]] virtual uv_loop_t* loop() noexcept = 0;
    [[nodiscard]] virtual BufferPool& buffers() noexcept = 0;
    [[nodiscard]] virtual KernelPipePool& pipes() noexcept = 0;
    // Passive health: a connect to `site` failed (refused, timed out, unreachable).
    virtual void on_connect_failed(std::size_t site, const Termination& why) noexcept = 0;
    // Last callback of a session: log it, count it, then destroy it.
    virtual void on_session_closed(ProxySession& session) noexcept = 0;

protected:
    ~SessionHost() = default;
};

class ProxySession final : public PipeEvents, public ForwarderEvents {
public:
    ProxySession(SessionHost& host, std::uint64_t id, std::shared_ptr<const ProxySettings> settings,
                 std::size_t listener_index);
    ~ProxySession();
    ProxySession(const ProxySession&) = delete;
    ProxySession& operator=(const ProxySession&) = delete;

    // Takes the pending client from `server`. False: nothing was initialised, destroy the session
    // directly (no close callback will come).
    [[nodiscard]] bool accept_from(uv_stream_t* server) noexcept;
    // Connects to the snapshot's active site and starts forwarding once connected.
    void start(SiteSnapshot snapshot) noexcept;
    // Ends the session; idempotent. Resets are passed on as resets (SO_LINGER 0).
    void close(Termination why) noexcept;

    [[nodiscard]] std::uint64_t id() const { return id_; }
    [[nodiscard]] std::size_t listener_index() const { return listener_index_; }
    [[nodiscard]] const ProxySettings& settings() const { return *settings_; }
    // Fetched at accept when connection logs are on, else on first request while open.
    [[nodiscard]] const std::optional<SocketAddress>& client_address() noexcept;
    [[nodiscard]] std::optional<std::size_t> site() const {
        return site_index_ ? std::optional<std::size_t>(*site_index_) : std::nullopt;
    }
    [[nodiscard]] const Termination& termination() const { return termination_; }
    [[nodiscard]] std::chrono::system_clock::time_point accepted_wall() const {
        return accepted_wall_;
    }
    // ms since accept, on the loop clock.
    [[nodiscard]] std::uint64_t age_ms() const { return now_ms() - accepted_at_; }
    // ms from accept to the site's connect completing; nullopt if it never did.
    [[nodiscard]] std::optional<std::uint64_t> connect_ms() const;
    [[nodiscard]] std::uint64_t bytes_to_site() const;
    [[nodiscard]] std::uint64_t bytes_to_client() const;
    [[nodiscard]] int retries() const { return retried_ ? 1 : 0; }
    [[nodiscard]] bool closing() const { return closing_; }

private:
    void connect_to(std::size_t site) noexcept;
    void load_client_address() noexcept;
    void on_connected() noexcept;
    void on_connect_failed(Termination why) noexcept;
    void arm_idle_timer() noexcept;
    // Adds the bytes moved since the last call to the listener's and the site's counters.
    void account_bytes() noexcept;
    [[nodiscard]] const RouteCounters& counters() const {
        return settings_->routes[listener_index_].counters;
    }
    void close_handle(uv_handle_t* handle, bool reset) noexcept;
    [[nodiscard]] std::uint64_t now_ms() const;
    Pipe& pipe_reading(const uv_handle_t* stream);

    void on_pipe_progress(Pipe& pipe) noexcept override;
    void on_pipe_finished(Pipe& pipe) noexcept override;
    void on_pipe_failed(Pipe& pipe, End end, int status) noexcept override;
    void on_forward_progress() noexcept override;
    void on_forward_finished() noexcept override;
    void on_forward_failed(bool client_side, int status) noexcept override;
    [[nodiscard]] bool start_splice() noexcept;

    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_site_connected(uv_connect_t* req, int status) noexcept;
    static void on_timer(uv_timer_t* timer) noexcept;
    static void on_handle_closed(uv_handle_t* handle) noexcept;
    static void on_site_closed_for_retry(uv_handle_t* handle) noexcept;

    SessionHost& host_;
    const std::uint64_t id_;
    const std::shared_ptr<const ProxySettings> settings_;
    const std::size_t listener_index_;

    uv_tcp_t client_tcp_{};
    uv_tcp_t site_tcp_{};
    uv_timer_t timer_{};
    // Forwarding, once connected: two Pipes (copy) or one SpliceForwarder, on the heap so an
    // idle session pays only for the strategy it uses.
    std::unique_ptr<Pipe> upstream_;    // client → site
    std::unique_ptr<Pipe> downstream_;  // site → client
    std::unique_ptr<SpliceForwarder> splice_;
    // Bytes already added to the counters; after close, the session's totals.
    std::uint64_t accounted_to_site_ = 0;
    std::uint64_t accounted_to_client_ = 0;
    bool counted_ = false;  // holds a place in the listener's and the site's `active`

    SiteSnapshot snapshot_{};
    std::optional<SocketAddress> client_;
    std::optional<std::uint8_t> site_index_;  // 0 primary, 1 standby
    std::chrono::system_clock::time_point accepted_wall_{};
    std::uint64_t accepted_at_ = 0;
    std::uint64_t connected_at_ = 0;
    std::uint64_t last_activity_ = 0;
    Termination termination_{};
    int open_handles_ = 0;
    bool site_open_ = false;
    bool connected_ = false;
    bool retried_ = false;
    bool closing_ = false;
};

}  // namespace lb
