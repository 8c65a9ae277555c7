// A TCP server on the test's own loop that answers every connection from a script: wait for the
// request head, then send replies (optionally dripped with a gap), then close or go silent.
// Single-threaded with the prober under test, so a test is deterministic and never sleeps.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace lb::test {

struct ServerScript {
    std::vector<std::string> replies{};  // sent in order
    std::chrono::milliseconds gap{0};    // between two replies: a slow drip
    bool close_after_replies = true;     // false: keep the connection open and say nothing more
    bool reply_at_once = false;          // don't wait for the request head ("\r\n\r\n")
};

class ScriptedServer {
public:
    ScriptedServer(uv_loop_t* loop, ServerScript script, const char* ip = "127.0.0.1");
    ~ScriptedServer();  // close()
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::size_t connections() const { return accepted_; }
    [[nodiscard]] const std::string& last_request() const { return last_request_; }
    // Stops listening and drops every connection; connects are refused from now on.
    void close();

    struct Connection;  // one accepted client; frees itself after its last close callback

private:
    static void on_connection(uv_stream_t* listener, int status) noexcept;

    uv_loop_t* loop_;
    std::shared_ptr<const ServerScript> script_;
    uv_tcp_t* listener_ = nullptr;  // freed by its close callback
    std::uint16_t port_ = 0;
    std::size_t accepted_ = 0;
    std::string last_request_;
    std::set<Connection*> open_;
};

}  // namespace lb::test
