// A site's gateway for the soak test: echoes every byte back on every connection, and resets a
// connection whose stream starts with kResetRequest. One thread per connection, joined as soon as
// its connection ends, so a long run holds only the threads of the connections open now (the
// test suite's BackendServer keeps every thread and record until it stops). It counts what it
// received and sent, in totals only: memory stays flat however many connections come.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "tests/support/test_sockets.h"

namespace lb::test::soak {

// A client that sends these bytes first gets a reset from the site (after nothing echoed).
inline constexpr std::string_view kResetRequest = "RESET-ME\n";

struct SiteTally {
    std::uint64_t accepted = 0;
    std::uint64_t open = 0;
    std::uint64_t received = 0;     // bytes read from lb
    std::uint64_t sent = 0;         // bytes written to lb (the kernel took them)
    std::uint64_t resets_sent = 0;  // connections reset on request
    std::uint64_t ended_eof = 0;    // lb's FIN came, everything echoed, FIN sent back
    std::uint64_t ended_reset = 0;  // lb reset the connection (a client reset passed on)
    std::uint64_t ended_other = 0;  // stopped (the site died), timed out, or an error
};

class SiteServer {
public:
    // Listens on ip:port (SO_REUSEADDR, so a restarted site gets the same port back).
    SiteServer(const std::string& ip, std::uint16_t port);
    // stop(): every connection ends (the site dies), all threads are joined.
    ~SiteServer();
    SiteServer(const SiteServer&) = delete;
    SiteServer& operator=(const SiteServer&) = delete;

    void stop();
    [[nodiscard]] SiteTally tally() const;

private:
    struct Connection {
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void accept_loop();
    void serve(Fd fd);
    void reap_finished();

    Fd listener_;
    Fd stop_fd_;
    std::mutex mutex_;  // connections_
    std::list<std::unique_ptr<Connection>> connections_;
    std::thread acceptor_;
    bool stopped_ = false;
    std::atomic<bool> stopping_{false};

    std::atomic<std::uint64_t> accepted_{0}, open_{0}, received_{0}, sent_{0}, resets_sent_{0},
        ended_eof_{0}, ended_reset_{0}, ended_other_{0};
};

}  // namespace lb::test::soak
