#include "lb/proxy/proxy_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "config/proxy_header.h"

namespace lb {
namespace {

void set_reset_on_close(int fd) {
    const linger abort_on_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
}

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

int ProxySession::adopt_client(int fd) noexcept {
    accepted_at_ = last_activity_ = now();
    accepted_wall_ = std::chrono::system_clock::now();
    client_fd_ = fd;
    if (const int rc = host_.readiness().add(fd, *this, kClient, client_key_); rc != 0) {
        ::close(fd);
        client_fd_ = -1;
        return rc;
    }
    // The client's address costs a syscall: fetch it now only if the log line will need it
    // after the socket is gone; `show sessions` asks for it while the socket is open.
    if (settings_->log_format != config::LogFormat::None) load_client_address();
    return 0;
}

void ProxySession::load_client_address() noexcept {
    if (received_header_ && received_header_->source) {
        client_ = received_header_->source;
        return;
    }
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    if (::getpeername(client_fd_, reinterpret_cast<sockaddr*>(&peer), &length) == 0)
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
    // TCP_NODELAY comes from the listening socket (accepted sockets inherit it).
    if (settings_->routes[listener_index_].accept_proxy) return await_proxy_header();
    counted_ = true;
    connect_to(snapshot.active);
}

void ProxySession::await_proxy_header() noexcept {
    awaiting_header_ = true;
    header_bytes_ = std::make_unique<std::vector<std::uint8_t>>();
    host_.scheduler().arm_at(*timer_, accepted_at_ + settings_->connect_timeout);
    read_proxy_header();  // it may have come with the connection
}

void ProxySession::read_proxy_header() noexcept {
    if (!client_ready_.readable) return;
    const std::size_t have = header_bytes_->size();
    std::array<std::uint8_t, kMaxProxyHeaderBytes> peeked{};
    const ssize_t n = ::recv(client_fd_, peeked.data(), kMaxProxyHeaderBytes - have,
                             MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        client_ready_.readable = false;
        return;
    }
    const auto fail = [this](Termination::Cause cause, int status) {
        settings_->routes[listener_index_].counters.bad_proxy_header();
        close(Termination{cause, Termination::Phase::Connect, status});
    };
    if (n <= 0) return fail(Termination::Cause::ProxyHeaderAborted, n < 0 ? -errno : UV_EOF);
    std::vector<std::uint8_t> seen = *header_bytes_;
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
    if (::recv(client_fd_, sink.data(), take, MSG_DONTWAIT) != static_cast<ssize_t>(take))
        return fail(Termination::Cause::ProxyHeaderAborted, -errno);
    if (parse.status == ProxyHeaderParse::Status::NeedMore) {
        *header_bytes_ = std::move(seen);
        if (header_bytes_->size() >= kMaxProxyHeaderBytes)
            return fail(Termination::Cause::ProxyHeaderInvalid, 0);
        // Emptied: wait for the next edge, unless the client's FIN (or a reset) has come with
        // these bytes, when no edge will follow: the next read says so.
        client_ready_.readable = client_ready_.ending;
        if (client_ready_.ending) read_proxy_header();
        return;
    }
    awaiting_header_ = false;
    header_bytes_.reset();
    received_header_ = std::make_unique<ProxyHeader>(parse.header);
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
    const SocketAddress& target = settings_->routes.at(listener_index_).site_endpoints.at(site);
    site_ready_ = Readiness{};
    site_fd_ = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (site_fd_ < 0) {
        on_connect_failed(connect_failure(-errno));
        return;
    }
    const int on = 1;
    setsockopt(site_fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // The last ACK of the handshake waits for the first bytes we send (on_connected() sends it
    // alone at once if there are none): one segment per connection less.
    const int off = 0;
    setsockopt(site_fd_, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
    if (::connect(site_fd_, target.sockaddr_ptr(), target.length()) != 0 && errno != EINPROGRESS) {
        on_connect_failed(connect_failure(-errno));
        return;
    }
    if (const int rc = host_.readiness().add(site_fd_, *this, kSite, site_key_); rc != 0) {
        on_connect_failed(connect_failure(rc));
        return;
    }
    timer_->arm(settings_->connect_timeout);
}

void ProxySession::on_ready(int tag, std::uint32_t events) noexcept {
    if (closing_) return;
    Readiness& ready = tag == kClient ? client_ready_ : site_ready_;
    ready.note(events);
    if (awaiting_header_) {
        if (tag == kClient) read_proxy_header();
        return;
    }
    if (tag == kSite && !connected_) {
        if (events != 0) on_site_connect_result(events);
        return;
    }
    if (forwarder_) pump();
}

void ProxySession::on_site_connect_result(std::uint32_t events) noexcept {
    if (events & (EPOLLERR | EPOLLHUP)) {
        int error = 0;
        socklen_t length = sizeof error;
        if (getsockopt(site_fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
        on_connect_failed(connect_failure(error != 0 ? -error : UV_ECONNRESET));
        return;
    }
    if (events & EPOLLOUT) on_connected();
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
        // Retry on the other site with the same client.
        retried_ = true;
        timer_->cancel();
        close_site(false);
        connect_to(other);
        return;
    }
    close(why);
}

void ProxySession::on_connected() noexcept {
    host_.on_connected(*site_index_);
    connected_ = true;
    connected_at_ = last_activity_ = now();
    if (!send_proxy_header()) return;
    const auto strategy = settings_->splice ? ForwardingStrategy::Splice : ForwardingStrategy::Copy;
    forwarder_ = std::make_unique<Forwarder>(*this, strategy,
                                             ForwardingPools{host_.buffers(), host_.pipes()},
                                             client_fd_, site_fd_);
    arm_idle_timer();
    pump();  // the client may have sent its first bytes while the connect was in flight
    // Nothing went out with the handshake's last ACK (the site speaks first, or the client has
    // not yet): send the ACK now, or the site would not see the connection for 200 ms.
    const bool header_sent =
        settings_->routes[listener_index_].proxy_protocol != config::ProxyProtocol::None;
    if (!closing_ && !header_sent && forwarder_->bytes_to_site() == 0) {
        const int on = 1;
        setsockopt(site_fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
    }
}

void ProxySession::pump() noexcept {
    if (forwarder_->pump(client_ready_, site_ready_) && !closing_)
        host_.readiness().defer(client_key_);
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
        socklen_t length = sizeof local;
        if (::getsockname(client_fd_, reinterpret_cast<sockaddr*>(&local), &length) == 0)
            reached = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&local));
    }
    const auto& client = client_address();
    const std::string header = client && reached ? proxy_header(version, *client, *reached)
                                                 : proxy_header_local(version);
    // Before the forwarder exists, so it is the first thing the site reads. A fresh connection's
    // send buffer is empty and the header is at most 108 bytes: the write is whole, at once, or
    // the socket is broken.
    const ssize_t written =
        ::send(site_fd_, header.data(), header.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (written == static_cast<ssize_t>(header.size())) return true;
    close(Termination{Termination::Cause::SiteReset, Termination::Phase::Data,
                      written < 0 ? -errno : UV_EAGAIN});
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
    if (forwarder_) forwarder_->stop();  // nothing more is moved; carriers go back now
    account_bytes();                     // from here on the session's totals are accounted_to_*
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
    if (client_fd_ >= 0) {
        host_.readiness().remove(client_key_);
        if (reset_client) set_reset_on_close(client_fd_);
        ::close(client_fd_);
        client_fd_ = -1;
    }
    close_site(reset_site);
    host_.on_session_closed(*this);  // destroys *this once the current callback has returned
}

void ProxySession::close_site(bool reset) noexcept {
    if (site_fd_ < 0) return;
    host_.readiness().remove(site_key_);
    if (reset) set_reset_on_close(site_fd_);
    ::close(site_fd_);
    site_fd_ = -1;
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
