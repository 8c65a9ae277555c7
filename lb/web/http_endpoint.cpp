// The endpoint's listener, routing and responses, and its connections: each one reads a request
// head into a fixed buffer, writes one response, then closes (lingering until the client's FIN
// so that unread request bytes do not turn our FIN into a RST that would eat the response).
#include "lb/web/http_endpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <vector>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"
#include "lb/web/http_request.h"
#include "lb/web/status_page.h"

namespace lb::web {

namespace {

constexpr int kBacklog = 128;
// Lingering after the response only waits for the client's FIN; it never needs long.
constexpr std::chrono::milliseconds kMaxLinger{2000};

uv_handle_t* as_handle(auto* handle) { return reinterpret_cast<uv_handle_t*>(handle); }
uv_stream_t* as_stream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[64];
    const std::size_t length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text, length);
}

std::string error_response(int status, bool head_only = false) {
    return http_response(status, "text/plain; charset=utf-8",
                         fmt::format("{} {}\n", status, reason_phrase(status)), head_only);
}

}  // namespace

std::string http_response(int status, std::string_view content_type, const std::string& body,
                          bool head_only, std::string_view extra_headers) {
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n"
        "{}\r\n",
        status, reason_phrase(status), http_date(), content_type, body.size(), extra_headers);
    if (!head_only) out += body;
    return out;
}

// --- Connection -------------------------------------------------------------------------------

// One client: a TCP handle and a deadline timer embedded here, with the write and shutdown
// requests (STYLE §3.3). Owned by the endpoint's table; close() is idempotent and the last close
// callback erases it. It uses the endpoint only while not closing: the endpoint closes every
// connection before it goes.
class HttpEndpoint::Connection {
public:
    Connection(std::shared_ptr<ConnectionTable> table, HttpEndpoint& owner)
        : table_(std::move(table)),
          id_(table_->next_id()),
          owner_(owner),
          buffer_(owner.limits_.max_head_bytes) {}

    // Initialises both handles and accepts the pending client (first, so the listener never
    // stalls on a client left pending). False only if nothing was registered: delete at once;
    // true: adopt it into the table, even if it is already closing.
    [[nodiscard]] bool open(uv_loop_t* loop, uv_stream_t* server) {
        if (uv_tcp_init(loop, &tcp_) != 0) return false;
        tcp_.data = this;
        ++open_handles_;
        const bool accepted = uv_accept(server, as_stream(&tcp_)) == 0;
        if (uv_timer_init(loop, &timer_) == 0) {
            timer_.data = this;
            ++open_handles_;
        }
        if (!accepted || open_handles_ < 2 ||
            uv_read_start(as_stream(&tcp_), &on_alloc, &on_read) != 0) {
            close();
            return true;
        }
        arm_timer(owner_.limits_.timeout);
        return true;
    }

    void close() noexcept {
        if (closing_) return;
        closing_ = true;
        for (uv_handle_t* handle : {as_handle(&tcp_), as_handle(&timer_)})
            if (handle->data != nullptr && !uv_is_closing(handle)) uv_close(handle, &on_closed);
    }

    [[nodiscard]] ConnectionTable::Id id() const { return id_; }

private:
    enum class Phase { Reading, Writing, Lingering };

    void arm_timer(std::chrono::milliseconds timeout) {
        const auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 1));
        if (uv_timer_start(&timer_, &on_timeout, ms, 0) != 0) close();
    }

    static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
        auto* self = static_cast<Connection*>(handle->data);
        // Reading appends to the head; lingering discards into the same buffer. Never 0 bytes
        // in Reading: a full buffer got its 431 before reading again.
        const std::size_t offset = self->phase_ == Phase::Reading ? self->received_ : 0;
        *buf = uv_buf_init(self->buffer_.data() + offset,
                           static_cast<unsigned>(self->buffer_.size() - offset));
    }

    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) noexcept {
        auto* self = static_cast<Connection*>(stream->data);
        if (self->closing_ || nread == 0) return;
        if (nread < 0) {  // EOF or error: before the head, the client gave up; after, it is done
            self->close();
            return;
        }
        if (self->phase_ == Phase::Reading) {
            self->received_ += static_cast<std::size_t>(nread);
            self->on_head_bytes();
        }
    }

    void on_head_bytes() {
        const RequestParse parse = parse_request_head(std::string_view(buffer_.data(), received_));
        using Verdict = RequestParse::Verdict;
        switch (parse.verdict) {
            case Verdict::Complete:
                send(owner_.respond(parse.head.method, parse.head.path));
                return;
            case Verdict::BadRequest:
                send(error_response(400));
                return;
            case Verdict::VersionUnsupported:
                send(error_response(505));
                return;
            case Verdict::Incomplete:
                if (received_ == buffer_.size()) send(error_response(431));
                return;
        }
    }

    void send(std::string response) {
        phase_ = Phase::Writing;
        uv_read_stop(as_stream(&tcp_));
        response_ = std::move(response);
        uv_buf_t buf = uv_buf_init(response_.data(), static_cast<unsigned>(response_.size()));
        write_req_.data = this;
        if (uv_write(&write_req_, as_stream(&tcp_), &buf, 1, &on_written) != 0) {
            close();
            return;
        }
        arm_timer(owner_.limits_.timeout);  // a client that does not read is cut off too
    }

    static void on_written(uv_write_t* req, int status) noexcept {
        auto* self = static_cast<Connection*>(req->data);
        if (self->closing_) return;  // a write done before uv_close reports 0, not ECANCELED
        if (status < 0) {
            self->close();
            return;
        }
        self->phase_ = Phase::Lingering;
        self->shutdown_req_.data = self;
        if (uv_shutdown(&self->shutdown_req_, as_stream(&self->tcp_), &on_shutdown) != 0 ||
            uv_read_start(as_stream(&self->tcp_), &on_alloc, &on_read) != 0) {
            self->close();
            return;
        }
        self->arm_timer(std::min(self->owner_.limits_.timeout, kMaxLinger));
    }

    static void on_shutdown(uv_shutdown_t* req, int status) noexcept {
        auto* self = static_cast<Connection*>(req->data);
        if (self->closing_) return;
        if (status < 0) self->close();
        // Otherwise keep reading until the client's FIN (on_read) or the linger deadline.
    }

    static void on_timeout(uv_timer_t* timer) noexcept {
        auto* self = static_cast<Connection*>(timer->data);
        if (self->closing_) return;
        self->close();
    }

    static void on_closed(uv_handle_t* handle) noexcept {
        auto* self = static_cast<Connection*>(handle->data);
        if (--self->open_handles_ > 0) return;
        self->table_->erase(self->id_);  // frees this connection
    }

    const std::shared_ptr<ConnectionTable> table_;  // kept alive until on_closed erased us
    const ConnectionTable::Id id_;
    HttpEndpoint& owner_;
    uv_tcp_t tcp_{};
    uv_timer_t timer_{};
    uv_write_t write_req_{};
    uv_shutdown_t shutdown_req_{};
    std::vector<char> buffer_;
    std::size_t received_ = 0;
    std::string response_;  // intact until on_written: uv_write does not copy it
    Phase phase_ = Phase::Reading;
    int open_handles_ = 0;
    bool closing_ = false;
};

// --- HttpEndpoint -----------------------------------------------------------------------------

HttpEndpoint::HttpEndpoint(uv_loop_t* loop, MetricsText metrics, StatusSource status, Limits limits)
    : loop_(loop),
      metrics_(std::move(metrics)),
      status_(std::move(status)),
      limits_(limits),
      connections_(ConnectionTable::create()) {
    limits_.max_head_bytes = std::max<std::size_t>(limits_.max_head_bytes, 64);
}

HttpEndpoint::HttpEndpoint(uv_loop_t* loop, MetricsText metrics, admin::Controller& controller,
                           Limits limits)
    : HttpEndpoint(
          loop, std::move(metrics), [&controller] { return controller.status(); }, limits) {}

HttpEndpoint::~HttpEndpoint() { stop(); }

std::size_t HttpEndpoint::connection_count() const { return connections_->size(); }

Result<Ok> HttpEndpoint::start(const SocketAddress& address) {
    if (listener_) return Error{"metrics endpoint: already listening"};
    auto* tcp = new uv_tcp_t{};
    if (const int rc = uv_tcp_init(loop_, tcp); rc != 0) {
        delete tcp;  // nothing registered: delete, don't close
        return Error{fmt::format("metrics endpoint: {}", uv_error_text(rc))};
    }
    UvHandle<uv_tcp_t> listener(tcp);
    tcp->data = this;
    auto fail = [&](std::string_view what, int rc) {
        return Error{fmt::format("metrics endpoint: cannot {} {}: {}", what, address.to_string(),
                                 uv_error_text(rc))};
    };
    if (const int rc = uv_tcp_bind(tcp, address.sockaddr_ptr(), 0); rc != 0)
        return fail("bind", rc);
    if (const int rc = uv_listen(as_stream(tcp), kBacklog, &on_connection); rc != 0)
        return fail("listen on", rc);  // EADDRINUSE shows up here rather than at bind
    sockaddr_storage bound{};
    auto length = static_cast<int>(sizeof bound);
    if (const int rc = uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &length);
        rc != 0)
        return fail("read the address of", rc);
    const auto local = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&bound));
    port_ = local ? local->port() : address.port();
    listener_ = std::move(listener);
    return Ok{};
}

void HttpEndpoint::stop() {
    listener_.reset();
    port_ = 0;
    connections_->close_all();  // each leaves the table from its last close callback
}

void HttpEndpoint::on_connection(uv_stream_t* server, int status) noexcept {
    auto* self = static_cast<HttpEndpoint*>(server->data);
    if (self == nullptr) return;
    if (status < 0) {
        log::warning("metrics endpoint: accept failed: {}", uv_error_text(status));
        return;
    }
    self->accept(server);
}

void HttpEndpoint::accept(uv_stream_t* server) {
    // libuv stops watching the listener until uv_accept() is called, so every pending client is
    // accepted, even one that is then turned away.
    if (connections_->size() >= limits_.max_connections) {
        reject_busy(server);
        return;
    }
    auto connection = std::make_unique<Connection>(connections_, *this);
    if (!connection->open(loop_, server)) {
        reject_busy(server);
        return;
    }
    connections_->adopt(std::move(connection));
}

void HttpEndpoint::reject_busy(uv_stream_t* server) {
    static const std::string busy = error_response(503);
    auto* tcp = new uv_tcp_t{};
    if (uv_tcp_init(loop_, tcp) != 0) {
        delete tcp;
        return;
    }
    if (uv_accept(server, as_stream(tcp)) == 0) {
        // Best effort, never blocking: a fresh socket's send buffer takes these few bytes.
        uv_buf_t buf =
            uv_buf_init(const_cast<char*>(busy.data()), static_cast<unsigned>(busy.size()));
        (void)uv_try_write(as_stream(tcp), &buf, 1);
    }
    uv_close(as_handle(tcp),
             [](uv_handle_t* closed) { delete reinterpret_cast<uv_tcp_t*>(closed); });
}

std::string HttpEndpoint::respond(const std::string& method, const std::string& path) {
    const bool head_only = method == "HEAD";
    if (method != "GET" && !head_only)
        return http_response(405, "text/plain; charset=utf-8", "405 Method Not Allowed\n", false,
                             "Allow: GET, HEAD\r\n");
    try {
        if (path == "/metrics")
            return http_response(200, "text/plain; version=0.0.4; charset=utf-8", metrics_(),
                                 head_only);
        if (path == "/" && status_)
            return http_response(200, "text/html; charset=utf-8", render_status_html(status_()),
                                 head_only,
                                 "Content-Security-Policy: default-src 'none'; "
                                 "style-src 'unsafe-inline'\r\n");
        if (path == "/status.json" && status_)
            return http_response(200, "application/json", render_status_json(status_()), head_only);
    } catch (const std::exception& e) {
        // prometheus-cpp and the status source may throw (bad_alloc at worst); one request fails.
        log::error("metrics endpoint: {} {}: {}", method, path, e.what());
        return error_response(500, head_only);
    }
    return error_response(404, head_only);
}

}  // namespace lb::web
