// ScriptedServer: each Connection embeds its socket, gap timer and write request (STYLE §3.3);
// the server only keeps pointers to close them, and a connection that outlives its server
// (closing) finds `server == nullptr`.
#include "tests/component/health/scripted_server.h"

#include <array>
#include <catch2/catch.hpp>

namespace lb::test {

struct ScriptedServer::Connection {
    ScriptedServer* server = nullptr;
    std::shared_ptr<const ServerScript> script;
    uv_tcp_t tcp{};
    uv_timer_t timer{};
    uv_write_t write_req{};
    std::array<char, 4096> buffer{};
    std::string request;
    std::size_t next_reply = 0;
    bool replying = false;
    bool closing = false;
    int open_handles = 0;

    void close() noexcept {
        if (closing) return;
        closing = true;
        if (server != nullptr) server->open_.erase(this);
        for (uv_handle_t* h :
             {reinterpret_cast<uv_handle_t*>(&tcp), reinterpret_cast<uv_handle_t*>(&timer)})
            uv_close(h, [](uv_handle_t* handle) {
                auto* self = static_cast<Connection*>(handle->data);
                if (--self->open_handles == 0) delete self;
            });
    }

    void start_replies() noexcept {
        if (replying) return;
        replying = true;
        send_next();
    }

    void send_next() noexcept {
        if (closing) return;
        if (next_reply >= script->replies.size()) {
            if (script->close_after_replies) close();
            return;
        }
        const std::string& reply = script->replies[next_reply++];
        uv_buf_t buf =
            uv_buf_init(const_cast<char*>(reply.data()), static_cast<unsigned>(reply.size()));
        if (uv_write(&write_req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1, &on_written) != 0)
            close();
    }

    static void on_written(uv_write_t* req, int status) noexcept {
        auto* self = static_cast<Connection*>(req->handle->data);
        if (self->closing) return;
        if (status < 0) return self->close();  // the client gave up: fine
        if (self->script->gap.count() > 0 && self->next_reply < self->script->replies.size()) {
            uv_timer_start(
                &self->timer,
                [](uv_timer_t* timer) { static_cast<Connection*>(timer->data)->send_next(); },
                static_cast<std::uint64_t>(self->script->gap.count()), 0);
            return;
        }
        self->send_next();
    }

    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
        auto* self = static_cast<Connection*>(stream->data);
        if (self->closing || nread == 0) return;
        if (nread < 0) return self->close();  // EOF or reset
        // Keep draining whatever comes: closing with unread bytes would send a RST.
        if (self->request.size() < 16 * 1024)
            self->request.append(buf->base, static_cast<std::size_t>(nread));
        if (self->server != nullptr) self->server->last_request_ = self->request;
        if (self->request.find("\r\n\r\n") != std::string::npos) self->start_replies();
    }
};

ScriptedServer::ScriptedServer(uv_loop_t* loop, ServerScript script, const char* ip)
    : loop_(loop), script_(std::make_shared<const ServerScript>(std::move(script))) {
    listener_ = new uv_tcp_t{};
    REQUIRE(uv_tcp_init(loop_, listener_) == 0);
    listener_->data = this;
    sockaddr_in addr{};
    REQUIRE(uv_ip4_addr(ip, 0, &addr) == 0);
    REQUIRE(uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, &on_connection) == 0);
    sockaddr_storage bound{};
    int len = sizeof bound;
    REQUIRE(uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len) == 0);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

ScriptedServer::~ScriptedServer() { close(); }

void ScriptedServer::close() {
    if (listener_ != nullptr) {
        listener_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(listener_),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
        listener_ = nullptr;
    }
    const std::set<Connection*> open = std::move(open_);
    open_.clear();
    for (Connection* connection : open) {
        connection->server = nullptr;
        connection->close();
    }
}

void ScriptedServer::on_connection(uv_stream_t* listener, int status) noexcept {
    auto* self = static_cast<ScriptedServer*>(listener->data);
    if (self == nullptr || status < 0) return;
    auto* connection = new Connection{};
    connection->server = self;
    connection->script = self->script_;
    uv_tcp_init(self->loop_, &connection->tcp);
    uv_timer_init(self->loop_, &connection->timer);
    connection->tcp.data = connection;
    connection->timer.data = connection;
    connection->open_handles = 2;
    self->open_.insert(connection);
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&connection->tcp)) != 0)
        return connection->close();
    ++self->accepted_;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&connection->tcp),
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
            auto* c = static_cast<Connection*>(handle->data);
            *buf = uv_buf_init(c->buffer.data(), static_cast<unsigned>(c->buffer.size()));
        },
        &Connection::on_read);
    if (self->script_->reply_at_once) connection->start_replies();
}

}  // namespace lb::test
