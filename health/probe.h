// One check in flight: socket, timeout timer, connect/write requests and buffers embedded in one
// object owned by its prober's ProbeTable (STYLE §3.3). Closing is idempotent; the last close
// callback erases the probe and only then reports, so a result never arrives while any of its
// handles or requests is live.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "health/check_result.h"
#include "health/check_target.h"
#include "health/prober.h"

namespace lb::health {

class ProbeTable;

class Probe {
public:
    // What the check waits for: decides a timeout's cause and names it in the reason
    // ("timeout after 500ms (tls handshake)").
    enum class Phase { Connect, TlsHandshake, Response };

    Probe(uv_loop_t* loop, CheckTarget target);
    virtual ~Probe() = default;
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    // Adds `probe` to `table` and starts it: from here only its last close callback removes it.
    // Returns the probe for cancel().
    static Probe& launch(std::unique_ptr<Probe> probe, const std::shared_ptr<ProbeTable>& table,
                         Prober::DoneCallback on_done);
    // Drops the callback and closes (idempotent). The probe stays in its table until its close
    // callbacks have run, but callers must forget it now.
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

    std::shared_ptr<ProbeTable> table_;  // set by launch(); kept alive until on_closed erased us
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

// The probes of one prober: the check in flight and cancelled ones whose handles are still
// closing. Invariant: the table is on the heap and every probe holds it, so a close callback that
// runs after the prober is gone (reload, stop) still finds it; the prober cancels them all first.
class ProbeTable : public std::enable_shared_from_this<ProbeTable> {
public:
    // From the probe's last close callback: destroys it. When the prober is gone and this was
    // its last probe, the table goes too, after this returns.
    void erase(const Probe* probe) noexcept;
    // Cancels every probe; each leaves from its own close callback, on a later loop iteration.
    void cancel_all() noexcept;
    // Probes not erased yet, closing ones included.
    [[nodiscard]] std::size_t size() const { return probes_.size(); }

private:
    friend class Probe;
    std::vector<std::unique_ptr<Probe>> probes_;
};

// The probe a prober has in flight, for start/cancel bookkeeping shared by every Prober.
class ProbeSlot {
public:
    ProbeSlot() : table_(std::make_shared<ProbeTable>()) {}
    ProbeSlot(const ProbeSlot&) = delete;
    ProbeSlot& operator=(const ProbeSlot&) = delete;
    ~ProbeSlot() { table_->cancel_all(); }  // the table outlives us until the last close callback

    void start(std::unique_ptr<Probe> probe, Prober::DoneCallback on_done);
    void cancel() noexcept;
    // Probes not freed yet: the one in flight plus cancelled ones still closing.
    [[nodiscard]] std::size_t probes() const { return table_->size(); }

private:
    std::shared_ptr<ProbeTable> table_;
    Probe* current_ = nullptr;
};

}  // namespace lb::health
