// One check in flight: socket, timeout timer, connect/write requests and buffers embedded in one
// heap object (STYLE §3.3). close() is idempotent; the last close callback frees the object and
// only then reports, so a result never arrives while any of its handles or requests is live.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "health/check_result.h"
#include "health/check_target.h"
#include "health/prober.h"

namespace lb::health {

class Probe {
public:
    // What the check waits for: decides a timeout's cause and names it in the reason
    // ("timeout after 500ms (tls handshake)").
    enum class Phase { Connect, TlsHandshake, Response };

    Probe(uv_loop_t* loop, CheckTarget target);
    virtual ~Probe() = default;
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    // Takes ownership: from here the probe frees itself. Returns the probe for cancel().
    static Probe* launch(std::unique_ptr<Probe> probe, Prober::DoneCallback on_done) noexcept;
    // Drops the callback and closes. The pointer stays valid until the next loop iteration at
    // least (the close callbacks free it), but callers must forget it now.
    void cancel() noexcept;

protected:
    // A reason not to connect at all (the target cannot be checked as configured).
    [[nodiscard]] virtual std::optional<std::string> target_problem() const { return {}; }
    virtual void on_connected() = 0;
    virtual void on_data(std::string_view /*bytes*/) {}
    virtual void on_eof() {}

    void start_reading() noexcept;
    // Queues bytes for the socket; at most one uv_write is in flight, the rest waits in outbox_.
    void send(std::string_view bytes) noexcept;
    void succeed(std::string reason) noexcept {
        finish(true, CheckCause::Passed, std::move(reason));
    }
    // `inconclusive`: this host could not run the check (see CheckResult::inconclusive).
    void fail(CheckCause cause, std::string reason, bool inconclusive = false) noexcept {
        inconclusive_ = inconclusive;
        finish(false, cause, std::move(reason));
    }
    void set_phase(Phase phase) noexcept { phase_ = phase; }
    [[nodiscard]] Phase phase() const { return phase_; }
    // The reply's HTTP status, once parsed (HAProxy's check_code).
    void set_http_status(int status) noexcept { http_status_ = status; }

    [[nodiscard]] const CheckTarget& target() const { return target_; }
    [[nodiscard]] bool closing() const { return closing_; }

private:
    void start() noexcept;
    void flush() noexcept;
    void finish(bool ok, CheckCause cause, std::string reason) noexcept;

    static void on_connect(uv_connect_t* req, int status) noexcept;
    static void on_timeout(uv_timer_t* timer) noexcept;
    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_written(uv_write_t* req, int status) noexcept;
    static void on_closed(uv_handle_t* handle) noexcept;

    uv_loop_t* loop_;
    CheckTarget target_;
    Prober::DoneCallback done_;
    CheckResult result_;
    std::uint64_t started_ns_ = 0;
    Phase phase_ = Phase::Connect;
    std::optional<int> http_status_;

    uv_tcp_t tcp_{};
    uv_timer_t timer_{};
    uv_connect_t connect_req_{};
    uv_write_t write_req_{};
    int open_handles_ = 0;
    bool closing_ = false;
    bool inconclusive_ = false;
    bool writing_ = false;
    std::string in_flight_;  // the buffer uv_write reads; untouched until on_written
    std::string outbox_;
    std::array<char, 16 * 1024> read_buffer_{};
};

// The probe a prober has in flight, for start/cancel bookkeeping shared by every Prober.
class ProbeSlot {
public:
    ProbeSlot() = default;
    ProbeSlot(const ProbeSlot&) = delete;
    ProbeSlot& operator=(const ProbeSlot&) = delete;
    ~ProbeSlot() { cancel(); }

    void start(std::unique_ptr<Probe> probe, Prober::DoneCallback on_done);
    void cancel() noexcept;

private:
    Probe* current_ = nullptr;
};

}  // namespace lb::health
