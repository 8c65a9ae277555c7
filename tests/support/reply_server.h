// A tiny HTTP/1.0 server for the network-namespace tests and the peers bench: on each connection
// it reads the request up to its blank line (or the client's FIN), answers "200 OK" with a fixed
// body (a site's name), shuts down writing and closes once the client has closed, so no reset is
// ever sent. One thread, non-blocking sockets, bounded buffers; a TCP health check (connect,
// close) costs nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace lb::test {

class ReplyServer {
public:
    struct Options {
        std::string netns;  // the named namespace the listener lives in; empty: the caller's
        std::string ip;     // IPv4, numeric
        std::uint16_t port = 0;
        std::string body;  // the reply's body, without the newline
        // IP_FREEBIND: listen on an address no interface holds yet (a virtual IP).
        bool freebind = false;
    };

    // Listens (SO_REUSEADDR, so a restart on the same port works at once) and serves on a thread
    // of its own. Throws std::system_error naming the address when it cannot listen.
    explicit ReplyServer(Options options);
    // stop().
    ~ReplyServer();
    ReplyServer(const ReplyServer&) = delete;
    ReplyServer& operator=(const ReplyServer&) = delete;

    // Closes the listener and every connection and joins the thread: connects are refused from
    // then on. Idempotent.
    void stop();
    // Requests answered so far.
    [[nodiscard]] std::uint64_t served() const { return served_.load(); }

private:
    void serve() noexcept;

    Options options_;
    int listener_ = -1;
    int stop_fd_ = -1;
    std::atomic<std::uint64_t> served_{0};
    std::thread thread_;
};

}  // namespace lb::test
