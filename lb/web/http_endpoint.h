// The operator's HTTP listener on the main loop: GET /metrics (Prometheus), / (status page) and
// /status.json. One request per connection (Connection: close); every connection is bounded in
// count, head size and time, so a slow or hostile client cannot hold it.
//
// Why not prometheus-cpp's civetweb Exposer: it serves /metrics only, while / and /status.json
// must share the operators' single [metrics] listen address; and a handler on the main loop
// reads the Controller on its own thread, needing no extra threads, locks or dependency.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/socket_address.h"
#include "lb/admin/controller.h"
#include "lb/base/handle_table.h"
#include "lb/base/result.h"
#include "lb/base/uv_handle.h"

namespace lb::web {

// Bounds on what one client can cost (defined outside HttpEndpoint so `= {}` works as a default
// argument there).
struct HttpEndpointLimits {
    std::size_t max_head_bytes = 8192;  // request line + fields; more → 431
    std::size_t max_connections = 64;   // more → 503 and close
    // From accept to the end of the request head, and again for writing the response: a
    // whole-request deadline, so trickling bytes does not extend it (slowloris).
    std::chrono::milliseconds timeout{5000};
};

class HttpEndpoint {
public:
    using Limits = HttpEndpointLimits;
    using MetricsText = std::function<std::string()>;
    using StatusSource = std::function<admin::Status()>;

    // The sources are called on the loop's thread, once per request. Nothing happens before
    // start(). Without a status source (`lb arbiter`), / and /status.json are 404.
    HttpEndpoint(uv_loop_t* loop, MetricsText metrics, StatusSource status, Limits limits = {});
    // `controller` must outlive the endpoint.
    HttpEndpoint(uv_loop_t* loop, MetricsText metrics, admin::Controller& controller,
                 Limits limits = {});
    // stop(). Connections still closing are freed by their close callbacks, so the loop must run
    // on afterwards (as it must for any handle).
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // Binds and listens on `address` (IPv4 or IPv6; port 0 picks a free port, see port()).
    // Calling it again while listening is an error.
    [[nodiscard]] Result<Ok> start(const SocketAddress& address);
    // Closes the listener and every connection. Idempotent; start() may be called again (e.g.
    // after a reload changed [metrics] listen) once stop() returned. Run the loop afterwards so
    // the close callbacks free the handles.
    void stop();

    // The bound port (useful after binding port 0); 0 when not listening.
    [[nodiscard]] std::uint16_t port() const { return port_; }
    // Open connections, including any in their final close.
    [[nodiscard]] std::size_t connection_count() const;

private:
    class Connection;
    friend class Connection;
    using ConnectionTable = HandleTable<Connection>;

    static void on_connection(uv_stream_t* server, int status) noexcept;
    void accept(uv_stream_t* server);
    void reject_busy(uv_stream_t* server);
    // The response to a complete (or hopeless) request head: status line, headers and body.
    [[nodiscard]] std::string respond(const std::string& method, const std::string& path);

    uv_loop_t* loop_;
    MetricsText metrics_;
    StatusSource status_;
    Limits limits_;
    UvHandle<uv_tcp_t> listener_;
    std::uint16_t port_ = 0;
    // Outlives the endpoint until the last connection's close callback (lb/base/handle_table.h).
    std::shared_ptr<ConnectionTable> connections_;
};

// A complete HTTP/1.1 response with Content-Length and Connection: close; for HEAD, the same
// head without the body. Exposed for tests.
[[nodiscard]] std::string http_response(int status, std::string_view content_type,
                                        const std::string& body, bool head_only,
                                        std::string_view extra_headers = {});

}  // namespace lb::web
