// Probe: the libuv plumbing every check shares (connect, deadline, reads, writes, close).
// Trampolines return at once when the probe is closing: after uv_close, a finished write or
// connect may still report status 0 (STYLE §3.4).
#include "health/probe.h"

#include <algorithm>
#include <utility>

#include "config/duration.h"
#include "config/proxy_header.h"

namespace lb::health {
namespace {

// Out of fds or memory on this host: no verdict about the site.
bool is_local_resource_error(int status) {
    return status == UV_EMFILE || status == UV_ENFILE || status == UV_ENOBUFS ||
           status == UV_ENOMEM || status == UV_EADDRNOTAVAIL;
}

CheckCause connect_cause(int status) {
    if (status == UV_ECONNREFUSED) return CheckCause::ConnectRefused;
    if (status == UV_ETIMEDOUT) return CheckCause::ConnectTimeout;
    return CheckCause::ConnectError;
}

std::string connect_failure(int status) {
    if (status == UV_ECONNREFUSED) return "connect refused";
    if (status == UV_ETIMEDOUT) return "connect timeout";
    return std::string("connect: ") + uv_strerror(status);
}

const char* phase_name(Probe::Phase phase) {
    switch (phase) {
        case Probe::Phase::Connect:
            return "connect";
        case Probe::Phase::TlsHandshake:
            return "tls handshake";
        case Probe::Phase::Response:
            return "response";
    }
    return "connect";
}

CheckCause timeout_cause(Probe::Phase phase) {
    switch (phase) {
        case Probe::Phase::Connect:
            return CheckCause::ConnectTimeout;
        case Probe::Phase::TlsHandshake:
            return CheckCause::TlsTimeout;
        case Probe::Phase::Response:
            return CheckCause::ResponseTimeout;
    }
    return CheckCause::ResponseTimeout;
}

// A read or write failed after the connect: the layer it happened in is the one at fault.
CheckCause io_cause(Probe::Phase phase) {
    return phase == Probe::Phase::TlsHandshake ? CheckCause::TlsError : CheckCause::BadResponse;
}

}  // namespace

Probe::Probe(uv_loop_t* loop, CheckTarget target) : loop_(loop), target_(std::move(target)) {}

Probe& Probe::launch(std::unique_ptr<Probe> probe, const std::shared_ptr<ProbeTable>& table,
                     Prober::DoneCallback on_done) {
    Probe& self = *table->probes_.emplace_back(std::move(probe));
    self.table_ = table;
    self.done_ = std::move(on_done);
    self.start();
    return self;
}

void Probe::start() noexcept {
    // The loop's cached time may be stale (a long callback ran since the loop last polled);
    // the deadline must count from now.
    uv_update_time(loop_);
    started_ns_ = uv_hrtime();
    // uv_timer_init cannot fail (no allocation, no syscall), so the timer is always there to
    // close, and closing it is what reports: even an early failure is reported asynchronously.
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    ++open_handles_;

    if (auto problem = target_problem()) return fail(CheckCause::BadTarget, std::move(*problem));
    if (const int rc = uv_tcp_init(loop_, &tcp_); rc != 0)
        return fail(CheckCause::SocketError, std::string("socket: ") + uv_strerror(rc), true);
    tcp_.data = this;
    ++open_handles_;

    const auto timeout_ms =
        static_cast<std::uint64_t>(std::max<Duration::rep>(target_.timeout.count(), 0));
    uv_timer_start(&timer_, &Probe::on_timeout, timeout_ms, 0);
    connect_req_.data = this;
    if (const int rc = uv_tcp_connect(&connect_req_, &tcp_, target_.address.sockaddr_ptr(),
                                      &Probe::on_connect);
        rc != 0)
        fail(connect_cause(rc), connect_failure(rc), is_local_resource_error(rc));
}

void Probe::cancel() noexcept {
    done_ = nullptr;
    finish(false, CheckCause::Cancelled, "cancelled");
}

void Probe::start_reading() noexcept {
    if (closing_) return;
    if (const int rc =
            uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Probe::on_alloc, &Probe::on_read);
        rc != 0)
        fail(io_cause(phase_), std::string("read: ") + uv_strerror(rc));
}

void Probe::send(std::string_view bytes) noexcept {
    if (closing_ || bytes.empty()) return;
    outbox_.append(bytes);
    if (!writing_) flush();
}

void Probe::flush() noexcept {
    if (outbox_.empty()) return;
    in_flight_.swap(outbox_);
    outbox_.clear();
    uv_buf_t buf = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
    write_req_.data = this;
    writing_ = true;
    if (const int rc = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                                &Probe::on_written);
        rc != 0) {
        writing_ = false;
        fail(io_cause(phase_), std::string("write: ") + uv_strerror(rc));
    }
}

void Probe::finish(bool ok, CheckCause cause, std::string reason) noexcept {
    if (closing_) return;  // idempotent: the first verdict stands
    closing_ = true;
    result_ = CheckResult{.ok = ok,
                          .cause = cause,
                          .reason = std::move(reason),
                          .latency = std::chrono::microseconds(
                              static_cast<std::int64_t>((uv_hrtime() - started_ns_) / 1000)),
                          .origin = CheckOrigin::Active,
                          .http_status = http_status_,
                          .inconclusive = inconclusive_};
    for (uv_handle_t* handle :
         {reinterpret_cast<uv_handle_t*>(&timer_), reinterpret_cast<uv_handle_t*>(&tcp_)})
        if (handle->data != nullptr && !uv_is_closing(handle)) uv_close(handle, &Probe::on_closed);
}

void Probe::on_connect(uv_connect_t* req, int status) noexcept {
    auto* self = static_cast<Probe*>(req->data);
    if (self->closing_) return;  // cancelled or timed out: the verdict is already set
    if (status < 0)
        return self->fail(connect_cause(status), connect_failure(status),
                          is_local_resource_error(status));
    // A gateway whose port expects PROXY headers reads one from every connection: a LOCAL one
    // (no client to speak for) comes first, before TLS or the request.
    if (self->target_.proxy_protocol != config::ProxyProtocol::None)
        self->send(proxy_header_local(self->target_.proxy_protocol));
    self->on_connected();
}

void Probe::on_timeout(uv_timer_t* timer) noexcept {
    auto* self = static_cast<Probe*>(timer->data);
    if (self == nullptr || self->closing_) return;
    self->fail(timeout_cause(self->phase_), "timeout after " +
                                                format_duration(self->target_.timeout) + " (" +
                                                phase_name(self->phase_) + ")");
}

void Probe::on_alloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) noexcept {
    auto* self = static_cast<Probe*>(handle->data);
    // One read at a time into one fixed buffer: on_data consumes it before the next read.
    *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
}

void Probe::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* self = static_cast<Probe*>(stream->data);
    if (self == nullptr || self->closing_) return;
    if (nread == 0) return;  // EAGAIN: neither data nor EOF
    if (nread == UV_EOF) {
        uv_read_stop(stream);
        return self->on_eof();
    }
    if (nread < 0) {
        const std::string during = std::string(" (") + phase_name(self->phase_) + ")";
        const CheckCause cause = io_cause(self->phase_);
        if (nread == UV_ECONNRESET) return self->fail(cause, "connection reset" + during);
        return self->fail(cause,
                          std::string("read: ") + uv_strerror(static_cast<int>(nread)) + during);
    }
    self->on_data(std::string_view(buf->base, static_cast<std::size_t>(nread)));
}

void Probe::on_written(uv_write_t* req, int status) noexcept {
    auto* self = static_cast<Probe*>(req->data);
    self->writing_ = false;
    if (self->closing_) return;
    if (status < 0)
        return self->fail(io_cause(self->phase_), std::string("write: ") + uv_strerror(status));
    self->flush();
}

void Probe::on_closed(uv_handle_t* handle) noexcept {
    auto* self = static_cast<Probe*>(handle->data);
    if (--self->open_handles_ > 0) return;
    // Every handle is closed, so no request can be in flight: free first, then report, so the
    // callback may start the next check (or destroy the prober) freely.
    Prober::DoneCallback done = std::move(self->done_);
    CheckResult result = std::move(self->result_);
    self->table_->erase(self);
    if (done) done(std::move(result));
}

void ProbeTable::erase(const Probe* probe) noexcept {
    const std::shared_ptr<ProbeTable> keep = shared_from_this();  // a probe may hold the last one
    std::erase_if(probes_, [probe](const std::unique_ptr<Probe>& p) { return p.get() == probe; });
}

void ProbeTable::cancel_all() noexcept {
    for (const auto& probe : probes_) probe->cancel();
}

void ProbeSlot::start(std::unique_ptr<Probe> probe, Prober::DoneCallback on_done) {
    cancel();
    auto report = [this, on_done = std::move(on_done)](CheckResult result) {
        current_ = nullptr;
        if (on_done) on_done(std::move(result));  // last: it may destroy this slot
    };
    current_ = &Probe::launch(std::move(probe), table_, std::move(report));
}

void ProbeSlot::cancel() noexcept {
    if (current_ == nullptr) return;
    std::exchange(current_, nullptr)->cancel();
}

}  // namespace lb::health
