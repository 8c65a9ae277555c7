// A client of a HAProxy-style runtime API on a Unix socket (HAProxy's stats socket, lb's admin
// socket) that records what the server did, not only what it said: the bytes, and whether it
// closed the connection. A server that leaves the connection open is not waited for beyond a
// short settle time once its reply looks complete, so a wrong server costs little time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test {

// What one read observed.
struct ApiReply {
    std::string bytes;
    bool closed = false;     // the server closed (EOF or reset) before the read stopped
    bool timed_out = false;  // the deadline passed with nothing that looked like a whole reply
};

class RuntimeApiConnection {
public:
    // Connects with a deadline; connected() says whether it worked.
    RuntimeApiConnection(const std::filesystem::path& socket, Deadline deadline);
    [[nodiscard]] bool connected() const { return fd_.valid(); }
    [[nodiscard]] int connect_error() const { return error_; }

    // One write of `bytes` (no SIGPIPE); false when the server has gone (EPIPE, ECONNRESET).
    [[nodiscard]] bool send(std::string_view bytes, Deadline deadline);
    [[nodiscard]] bool shutdown_write();

    // Reads until the server closes, or until what arrived ends a reply and nothing more comes
    // for `settle`: "\n> " (a prompt; 50 ms suffice, the prompt is written with the reply), or
    // an empty line ("\n" alone, or ending in "\n\n"). At `deadline`, timed_out.
    [[nodiscard]] ApiReply read(Deadline deadline,
                                std::chrono::milliseconds settle = std::chrono::milliseconds(250));

private:
    Fd fd_;
    int error_ = 0;
    bool closed_ = false;
};

// Connect, send `bytes`, shut down writing (so a server that answers on the client's FIN
// answers too) and read until the close; nullopt if the connect fails or nothing complete came.
[[nodiscard]] std::optional<std::string> ask_and_close(const std::filesystem::path& socket,
                                                       std::string_view bytes, Deadline deadline);

}  // namespace lb::test
