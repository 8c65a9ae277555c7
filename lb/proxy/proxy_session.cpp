#include "lb/proxy/proxy_session.h"

#include <sys/socket.h>

namespace lb {
namespace {

uv_handle_t* as_handle(void* h) { return static_cast<uv_handle_t*>(h); }
uv_stream_t* as_stream(uv_tcp_t* h) { return reinterpret_cast<uv_stream_t*>(h); }

Termination connect_failure(int status) {
    using Cause = Termination::Cause;
    if (Termination::is_local_resource_error(status))
        return Termination{Cause::LocalResource, Termination::Phase::Connect, status};
    Cause cause = Cause::ConnectError;
    if (status == UV_ECONNREFUSED) cause = Cause::ConnectRefused;
    if (status == UV_ETIMEDOUT) cause = Cause::ConnectTimeout;
    return Termination{cause, Termination::Phase::Connect, status};
}

}  // namespace

ProxySession::ProxySession(SessionHost& host, std::uint64_t id,
                           std::shared_ptr<const ProxySettings> settings,
                           std::size_t listener_index)
    : host_(host), id_(id), settings_(std::move(settings)), listener_index_(listener_index) {}

ProxySession::~ProxySession() = default;

bool ProxySession::accept_from(uv_stream_t* server) noexcept {
    if (uv_tcp_init(host_.loop(), &client_tcp_) != 0) return false;
    client_tcp_.data = this;
    ++open_handles_;
    if (uv_timer_init(host_.loop(), &timer_) == 0) {
        timer_.data = this;
        ++open_handles_;
    }
    accepted_at_ = last_activity_ = now_ms();
    accepted_wall_ = std::chrono::system_clock::now();
    if (timer_.data == nullptr) {
        close(Termination{Termination::Cause::Shutdown, Termination::Phase::Connect, UV_ENOMEM});
        return true;
    }
    if (const int rc = uv_accept(server, as_stream(&client_tcp_)); rc != 0) {
        close(Termination{Termination::Cause::ClientReset, Termination::Phase::Connect, rc});
        return true;
    }
    // The client's address costs a syscall: fetch it now only if the log line will need it
    // after the socket is gone; `show sessions` asks for it while the socket is open.
    if (settings_->log_format != config::LogFormat::None) load_client_address();
    return true;
}

void ProxySession::load_client_address() noexcept {
    sockaddr_storage peer{};
    int length = sizeof peer;
    if (uv_tcp_getpeername(&client_tcp_, reinterpret_cast<sockaddr*>(&peer), &length) == 0)
        client_ = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&peer));
}

const std::optional<SocketAddress>& ProxySession::client_address() noexcept {
    if (!client_ && !closing_) load_client_address();
    return client_;
}

void ProxySession::start(SiteSnapshot snapshot) noexcept {
    if (closing_) return;
    snapshot_ = snapshot;
    counted_ = true;
    uv_tcp_nodelay(&client_tcp_, 1);
    connect_to(snapshot.active);
}

void ProxySession::connect_to(std::size_t site) noexcept {
    if (site_index_)  // a retry moves on
        counters().retried(*site_index_, site);
    else
        counters().opened(site);
    site_index_ = static_cast<std::uint8_t>(site);
    const auto& route = settings_->routes.at(listener_index_);
    if (uv_tcp_init(host_.loop(), &site_tcp_) != 0) {
        close(Termination{Termination::Cause::NoSite, Termination::Phase::Connect, UV_ENOMEM});
        return;
    }
    site_tcp_.data = this;
    if (!site_open_) {
        site_open_ = true;
        ++open_handles_;
    }
    uv_tcp_nodelay(&site_tcp_, 1);  // applied when libuv creates the socket
    // The request lives only while the connect is in flight; its callback frees it (libuv calls
    // it even when the handle is closed first, with UV_ECANCELED).
    auto* request = new uv_connect_t;
    request->data = this;
    const int rc = uv_tcp_connect(request, &site_tcp_, route.site_endpoints.at(site).sockaddr_ptr(),
                                  &ProxySession::on_site_connected);
    if (rc != 0) {
        delete request;
        on_connect_failed(connect_failure(rc));
        return;
    }
    uv_timer_start(&timer_, &ProxySession::on_timer,
                   static_cast<std::uint64_t>(settings_->connect_timeout.count()), 0);
}

void ProxySession::on_site_connected(uv_connect_t* req, int status) noexcept {
    auto* self = static_cast<ProxySession*>(req->data);
    delete req;
    // Cancelled: we closed the site handle ourselves (timeout, retry or session close).
    if (self->closing_ || status == UV_ECANCELED) return;
    if (status != 0) {
        self->on_connect_failed(connect_failure(status));
        return;
    }
    self->on_connected();
}

void ProxySession::on_connect_failed(Termination why) noexcept {
    if (const auto reason = connection_error(why)) counters().error(*site_index_, *reason);
    // Out of fds or memory here: the site is not to blame, and another site would fail alike.
    if (why.cause == Termination::Cause::LocalResource) {
        close(why);
        return;
    }
    host_.on_connect_failed(*site_index_, why);
    const std::size_t other = 1U - *site_index_;
    if (!retried_ && settings_->retry_on_standby && snapshot_.eligible(other)) {
        // Retry on the other site with the same client: close the failed socket first, since
        // an embedded handle may be re-initialised only after its close callback.
        retried_ = true;
        uv_timer_stop(&timer_);
        uv_close(as_handle(&site_tcp_), &ProxySession::on_site_closed_for_retry);
        return;
    }
    close(why);
}

void ProxySession::on_site_closed_for_retry(uv_handle_t* handle) noexcept {
    auto* self = static_cast<ProxySession*>(handle->data);
    if (self->closing_) {  // the session ended meanwhile: this was its last word on the site
        on_handle_closed(handle);
        return;
    }
    self->connect_to(1U - *self->site_index_);
}

void ProxySession::on_connected() noexcept {
    connected_ = true;
    connected_at_ = last_activity_ = now_ms();
    if (settings_->splice) {
        if (start_splice()) arm_idle_timer();
        return;
    }
    upstream_ = std::make_unique<Pipe>(
        *this, host_.buffers(),
        Pipe::Source{as_stream(&client_tcp_), &ProxySession::on_alloc, &ProxySession::on_read},
        as_stream(&site_tcp_));
    downstream_ = std::make_unique<Pipe>(
        *this, host_.buffers(),
        Pipe::Source{as_stream(&site_tcp_), &ProxySession::on_alloc, &ProxySession::on_read},
        as_stream(&client_tcp_));
    upstream_->set_opposite(downstream_.get());
    downstream_->set_opposite(upstream_.get());
    int rc = upstream_->start();
    if (rc != 0) {
        close(Termination{Termination::Cause::ClientReset, Termination::Phase::Data, rc});
        return;
    }
    rc = downstream_->start();
    if (rc != 0) {
        close(Termination{Termination::Cause::SiteReset, Termination::Phase::Data, rc});
        return;
    }
    arm_idle_timer();
}

bool ProxySession::start_splice() noexcept {
    uv_os_fd_t client_fd = -1;
    uv_os_fd_t site_fd = -1;
    if (uv_fileno(as_handle(&client_tcp_), &client_fd) != 0 ||
        uv_fileno(as_handle(&site_tcp_), &site_fd) != 0) {
        close(Termination{Termination::Cause::ClientReset, Termination::Phase::Data, UV_EBADF});
        return false;
    }
    splice_ = std::make_unique<SpliceForwarder>(*this, host_.pipes(), client_fd, site_fd);
    if (const int rc = splice_->start(host_.loop()); rc != 0) {
        close(Termination{Termination::Cause::ClientReset, Termination::Phase::Data, rc});
        return false;
    }
    return !closing_;
}

void ProxySession::on_forward_progress() noexcept {
    last_activity_ = now_ms();
    account_bytes();
}

void ProxySession::on_forward_finished() noexcept {
    close(Termination{Termination::Cause::Normal, Termination::Phase::Data, 0});
}

void ProxySession::on_forward_failed(bool client_side, int status) noexcept {
    close(Termination{client_side ? Termination::Cause::ClientReset : Termination::Cause::SiteReset,
                      Termination::Phase::Data, status});
}

void ProxySession::arm_idle_timer() noexcept {
    const auto idle = static_cast<std::uint64_t>(settings_->idle_timeout.count());
    const std::uint64_t now = now_ms();
    const std::uint64_t quiet = now - last_activity_;
    uv_timer_start(&timer_, &ProxySession::on_timer, quiet >= idle ? 0 : idle - quiet, 0);
}

void ProxySession::on_timer(uv_timer_t* timer) noexcept {
    auto* self = static_cast<ProxySession*>(timer->data);
    if (self->closing_) return;
    if (!self->connected_) {
        self->on_connect_failed(Termination{Termination::Cause::ConnectTimeout,
                                            Termination::Phase::Connect, UV_ETIMEDOUT});
        return;
    }
    // Activity only stamps last_activity_; the timer re-arms itself for the remainder, so a
    // busy session costs no timer update per read.
    const auto idle = static_cast<std::uint64_t>(self->settings_->idle_timeout.count());
    if (self->now_ms() - self->last_activity_ >= idle) {
        self->close(Termination{Termination::Cause::IdleTimeout, Termination::Phase::Data, 0});
        return;
    }
    self->arm_idle_timer();
}

Pipe& ProxySession::pipe_reading(const uv_handle_t* stream) {
    return stream == as_handle(&client_tcp_) ? *upstream_ : *downstream_;
}

void ProxySession::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<ProxySession*>(handle->data);
    self->pipe_reading(handle).on_alloc(buf);
}

void ProxySession::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* self = static_cast<ProxySession*>(stream->data);
    self->pipe_reading(as_handle(stream)).on_read(nread, buf);
}

void ProxySession::on_pipe_progress(Pipe&) noexcept {
    last_activity_ = now_ms();
    account_bytes();
}

void ProxySession::account_bytes() noexcept {
    const std::uint64_t to_site = bytes_to_site();
    const std::uint64_t to_client = bytes_to_client();
    const std::uint64_t site_delta = to_site - accounted_to_site_;
    const std::uint64_t client_delta = to_client - accounted_to_client_;
    if (site_delta == 0 && client_delta == 0) return;
    accounted_to_site_ = to_site;
    accounted_to_client_ = to_client;
    counters().bytes(site(), site_delta, client_delta);
}

void ProxySession::on_pipe_finished(Pipe&) noexcept {
    if (upstream_->finished() && downstream_->finished())
        close(Termination{Termination::Cause::Normal, Termination::Phase::Data, 0});
}

void ProxySession::on_pipe_failed(Pipe& pipe, End end, int status) noexcept {
    // Upstream reads the client and writes the site; downstream the reverse.
    const bool client_side = (&pipe == upstream_.get()) == (end == End::Source);
    close(Termination{client_side ? Termination::Cause::ClientReset : Termination::Cause::SiteReset,
                      Termination::Phase::Data, status});
}

void ProxySession::close(Termination why) noexcept {
    if (closing_) return;
    closing_ = true;
    termination_ = why;
    if (upstream_) upstream_->abandon();
    if (downstream_) downstream_->abandon();
    account_bytes();  // from here on the session's totals are accounted_to_*
    splice_.reset();  // stops watching the sockets before they are closed below
    if (counted_ && site_index_) {
        counted_ = false;
        counters().closed(*site_index_);
        if (why.is_reset()) counters().error(*site_index_, metrics::ConnectionError::Reset);
    }
    // A reset on one side is passed on as a reset on the other; a rejected client gets one too,
    // so it cannot mistake the close for an empty answer.
    const bool reset_client =
        why.cause == Termination::Cause::SiteReset || why.cause == Termination::Cause::Limit;
    const bool reset_site = why.cause == Termination::Cause::ClientReset;
    close_handle(as_handle(&timer_), false);
    close_handle(as_handle(&client_tcp_), reset_client);
    close_handle(as_handle(&site_tcp_), reset_site);
}

void ProxySession::close_handle(uv_handle_t* handle, bool reset) noexcept {
    if (handle->data == nullptr || uv_is_closing(handle)) return;
    if (reset) {
        uv_os_fd_t fd = -1;
        if (uv_fileno(handle, &fd) == 0) {
            const linger abort_on_close{1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        }
    }
    uv_close(handle, &ProxySession::on_handle_closed);
}

void ProxySession::on_handle_closed(uv_handle_t* handle) noexcept {
    auto* self = static_cast<ProxySession*>(handle->data);
    if (--self->open_handles_ > 0) return;
    self->host_.on_session_closed(*self);  // destroys *self
}

std::uint64_t ProxySession::now_ms() const { return uv_now(host_.loop()); }

std::optional<std::uint64_t> ProxySession::connect_ms() const {
    if (!connected_) return std::nullopt;
    return connected_at_ - accepted_at_;
}

std::uint64_t ProxySession::bytes_to_site() const {
    if (splice_) return splice_->bytes_to_site();
    return upstream_ ? upstream_->bytes() : accounted_to_site_;
}

std::uint64_t ProxySession::bytes_to_client() const {
    if (splice_) return splice_->bytes_to_client();
    return downstream_ ? downstream_->bytes() : accounted_to_client_;
}

}  // namespace lb
