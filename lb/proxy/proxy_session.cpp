#include "lb/proxy/proxy_session.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "config/proxy_header.h"

namespace lb {
namespace {

uv_handle_t* as_handle(void* h) { return static_cast<uv_handle_t*>(h); }
uv_stream_t* as_stream(uv_tcp_t* h) { return reinterpret_cast<uv_stream_t*>(h); }

std::uint64_t as_ms(Duration d) { return static_cast<std::uint64_t>(d.count()); }

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
    accepted_at_ = last_activity_ = now();
    accepted_wall_ = std::chrono::system_clock::now();
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
    if (received_header_ && received_header_->source) {
        client_ = received_header_->source;
        return;
    }
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
    timer_ = host_.scheduler().make_timer([this] { on_timer(); });
    uv_tcp_nodelay(&client_tcp_, 1);
    if (settings_->routes[listener_index_].accept_proxy) return await_proxy_header();
    counted_ = true;
    connect_to(snapshot.active);
}

void ProxySession::await_proxy_header() noexcept {
    awaiting_header_ = true;
    host_.scheduler().arm_at(*timer_, accepted_at_ + settings_->connect_timeout);
    // A zero-length buffer: libuv reports readability (UV_ENOBUFS) without reading a byte.
    if (const int rc = uv_read_start(as_stream(&client_tcp_), &ProxySession::on_header_alloc,
                                     &ProxySession::on_header_read);
        rc != 0)
        close(Termination{Termination::Cause::ClientReset, Termination::Phase::Connect, rc});
}

void ProxySession::on_header_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) noexcept {
    *buf = uv_buf_init(nullptr, 0);
}

void ProxySession::on_header_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) noexcept {
    auto* self = static_cast<ProxySession*>(stream->data);
    if (self == nullptr || self->closing_ || !self->awaiting_header_) return;
    if (nread == UV_ENOBUFS) return self->on_client_readable();
    if (nread < 0)
        self->close(Termination{Termination::Cause::ProxyHeaderAborted,
                                Termination::Phase::Connect, static_cast<int>(nread)});
}

void ProxySession::on_client_readable() noexcept {
    uv_os_fd_t fd = -1;
    if (uv_fileno(as_handle(&client_tcp_), &fd) != 0) return;
    const std::size_t have = header_bytes_.size();
    std::array<std::uint8_t, kMaxProxyHeaderBytes> peeked{};
    const ssize_t n = ::recv(fd, peeked.data(), kMaxProxyHeaderBytes - have,
                             MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    const auto fail = [this](Termination::Cause cause, int status) {
        settings_->routes[listener_index_].counters.bad_proxy_header();
        close(Termination{cause, Termination::Phase::Connect, status});
    };
    if (n <= 0) return fail(Termination::Cause::ProxyHeaderAborted, n < 0 ? -errno : UV_EOF);
    std::vector<std::uint8_t> seen = header_bytes_;
    seen.insert(seen.end(), peeked.begin(), peeked.begin() + n);
    const ProxyHeaderParse parse = parse_proxy_header(seen);
    if (parse.status == ProxyHeaderParse::Status::Invalid)
        return fail(Termination::Cause::ProxyHeaderInvalid, 0);
    // Take from the socket only what belongs to the header: all that was seen while it goes on,
    // up to its last byte once it is complete.
    const std::size_t take = parse.status == ProxyHeaderParse::Status::Complete
                                 ? parse.header.size - have
                                 : static_cast<std::size_t>(n);
    std::array<std::uint8_t, kMaxProxyHeaderBytes> sink{};
    if (::recv(fd, sink.data(), take, MSG_DONTWAIT) != static_cast<ssize_t>(take))
        return fail(Termination::Cause::ProxyHeaderAborted, -errno);
    if (parse.status == ProxyHeaderParse::Status::NeedMore) {
        header_bytes_ = std::move(seen);
        if (header_bytes_.size() >= kMaxProxyHeaderBytes)
            return fail(Termination::Cause::ProxyHeaderInvalid, 0);
        return;
    }
    awaiting_header_ = false;
    header_bytes_.clear();
    header_bytes_.shrink_to_fit();
    uv_read_stop(as_stream(&client_tcp_));
    received_header_ = parse.header;
    if (received_header_->source) client_ = received_header_->source;
    timer_->cancel();
    counted_ = true;
    connect_to(snapshot_.active);
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
    timer_->arm(settings_->connect_timeout);
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
        timer_->cancel();
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
    host_.on_connected(*site_index_);
    connected_ = true;
    connected_at_ = last_activity_ = now();
    if (!send_proxy_header()) return;
    const auto strategy = settings_->splice ? ForwardingStrategy::Splice : ForwardingStrategy::Copy;
    forwarder_ = make_forwarder(strategy, *this, ForwardingPools{host_.buffers(), host_.pipes()},
                                &client_tcp_, &site_tcp_);
    if (const auto failure = forwarder_->start()) {
        on_forward_failed(*failure);
        return;
    }
    arm_idle_timer();
}

bool ProxySession::send_proxy_header() noexcept {
    const config::ProxyProtocol version = settings_->routes[listener_index_].proxy_protocol;
    if (version == config::ProxyProtocol::None) return true;
    // The addresses a received header carried, else the client connection's own.
    std::optional<SocketAddress> reached;
    if (received_header_ && received_header_->destination) {
        reached = received_header_->destination;
    } else {
        sockaddr_storage local{};
        int length = sizeof local;
        if (uv_tcp_getsockname(&client_tcp_, reinterpret_cast<sockaddr*>(&local), &length) == 0)
            reached = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&local));
    }
    const auto& client = client_address();
    const std::string header = client && reached ? proxy_header(version, *client, *reached)
                                                 : proxy_header_local(version);
    // Before the forwarder exists, so it is the first thing the site reads. A fresh connection's
    // send buffer is empty and the header is at most 108 bytes: the write is whole, at once, or
    // the socket is broken.
    uv_buf_t buf = uv_buf_init(const_cast<char*>(header.data()),
                               static_cast<unsigned>(header.size()));
    const int written = uv_try_write(as_stream(&site_tcp_), &buf, 1);
    if (written == static_cast<int>(header.size())) return true;
    close(Termination{Termination::Cause::SiteReset, Termination::Phase::Data,
                      written < 0 ? written : UV_EAGAIN});
    return false;
}

void ProxySession::on_forward_progress() noexcept {
    last_activity_ = now();
    account_bytes();
}

void ProxySession::on_forward_finished() noexcept {
    close(Termination{Termination::Cause::Normal, Termination::Phase::Data, 0});
}

void ProxySession::on_forward_failed(ForwardFailure failure) noexcept {
    close(Termination{failure.side == Side::Client ? Termination::Cause::ClientReset
                                                   : Termination::Cause::SiteReset,
                      Termination::Phase::Data, failure.status});
}

void ProxySession::arm_idle_timer() noexcept {
    host_.scheduler().arm_at(*timer_, last_activity_ + settings_->idle_timeout);
}

void ProxySession::on_timer() noexcept {
    if (closing_) return;
    if (awaiting_header_) {
        settings_->routes[listener_index_].counters.bad_proxy_header();
        close(Termination{Termination::Cause::ProxyHeaderTimeout, Termination::Phase::Connect,
                          UV_ETIMEDOUT});
        return;
    }
    if (!connected_) {
        on_connect_failed(Termination{Termination::Cause::ConnectTimeout,
                                      Termination::Phase::Connect, UV_ETIMEDOUT});
        return;
    }
    // Activity only stamps last_activity_; the timer re-arms itself for the remainder, so a
    // busy session costs no timer update per read.
    if (now() - last_activity_ >= settings_->idle_timeout) {
        close(Termination{Termination::Cause::IdleTimeout, Termination::Phase::Data, 0});
        return;
    }
    arm_idle_timer();
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

void ProxySession::close(Termination why) noexcept {
    if (closing_) return;
    closing_ = true;
    termination_ = why;
    // Nothing more is read or reported; a splice forwarder stops watching the sockets before
    // they are closed below.
    if (forwarder_) forwarder_->stop();
    account_bytes();  // from here on the session's totals are accounted_to_*
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
    if (timer_) timer_->cancel();
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

std::optional<std::uint64_t> ProxySession::connect_ms() const {
    if (!connected_) return std::nullopt;
    return as_ms(connected_at_ - accepted_at_);
}

std::uint64_t ProxySession::bytes_to_site() const {
    return forwarder_ ? forwarder_->bytes_to_site() : accounted_to_site_;
}

std::uint64_t ProxySession::bytes_to_client() const {
    return forwarder_ ? forwarder_->bytes_to_client() : accounted_to_client_;
}

}  // namespace lb
