// Blocking TCP helpers for end-to-end tests: clients whose every call has a poll()-based deadline,
// deterministic payloads with FNV-1a checksums, and backend servers on their own threads that
// stop cleanly (every blocking call also watches a stop eventfd). IPv4 and IPv6 loopback only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/wait.h"

namespace lb::test {

// Owns one file descriptor; closes it on destruction. Move-only.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

// How an I/O helper ended. Eof and Reset are both "the peer closed"; Stopped means the stop fd
// fired (server shutdown).
enum class IoStatus { Ok, Eof, Reset, Error, Timeout, Stopped };
[[nodiscard]] const char* to_string(IoStatus status);

// Incremental FNV-1a 64: the checksum both ends of a transfer compute over the byte stream.
class Fnv1a {
public:
    void update(std::string_view bytes);
    [[nodiscard]] std::uint64_t value() const { return hash_; }

private:
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// A deterministic byte stream of `size` bytes: a random block (from `seed`) repeated. Cheap to
// share between threads (the block is immutable) and to stream at any offset.
class Payload {
public:
    Payload() = default;
    // Random bytes; the block is min(size, block_size) long, so small payloads never repeat.
    static Payload random(std::uint64_t size, std::uint64_t seed,
                          std::size_t block_size = 16U << 20);
    static Payload text(std::string bytes);

    [[nodiscard]] std::uint64_t size() const { return size_; }
    // The longest contiguous run starting at `offset`, at most `max` bytes (empty at the end).
    [[nodiscard]] std::string_view chunk_at(std::uint64_t offset, std::size_t max) const;
    [[nodiscard]] std::uint64_t checksum() const;   // FNV-1a 64 of the whole stream
    [[nodiscard]] std::string materialize() const;  // the whole stream; only for small payloads

private:
    std::shared_ptr<const std::string> block_;
    std::uint64_t size_ = 0;
};

// Addresses are numeric ("127.0.0.2", "::1"). Every socket is created SOCK_CLOEXEC so spawned
// `lb` processes inherit none of them.
// A port free on `ip` for another process to bind: below the kernel's ephemeral range (no
// connect() or bind(0) takes it meanwhile) and reserved among all test processes on the host
// for the rest of this one, so parallel tests (`ctest -j`) never pick the same port.
[[nodiscard]] std::uint16_t free_port(const std::string& ip = "127.0.0.1");
// A loopback address 127.0.X.Y (X >= 1) on which the fixed `port` is free for another process to
// bind, reserved among test processes as free_port's ports are: for a configuration whose port
// cannot be chosen (a server written "${SITE}:443"). Empty if none is found (a port below 1024
// needs privileges).
[[nodiscard]] std::string free_loopback_address(std::uint16_t port);
[[nodiscard]] Fd listen_tcp(const std::string& ip, std::uint16_t port, int backlog);
[[nodiscard]] std::uint16_t local_port(int fd);
// "ip:port", or "[ip]:port" for IPv6, as in tcplog lines and the config's bind values.
[[nodiscard]] std::string endpoint(const std::string& ip, std::uint16_t port);

// Connects with a deadline; an invalid Fd on refusal, timeout or error, with the errno in
// `error` if given (ETIMEDOUT for the deadline). The socket stays non-blocking: every helper
// below waits with poll().
[[nodiscard]] Fd connect_tcp(const std::string& ip, std::uint16_t port, Deadline deadline,
                             int* error = nullptr);

// A connect whose outcome is itself under test: the socket is bound to an ephemeral port first,
// so `local_port` is known even when the peer resets the connection before connect() returns.
struct ConnectAttempt {
    Fd fd;          // invalid when the connect failed
    int error = 0;  // errno of the failure (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ...)
    std::uint16_t local_port = 0;
};
[[nodiscard]] ConnectAttempt try_connect(const std::string& ip, std::uint16_t port,
                                         Deadline deadline);

// The blocking primitives. `stop_fd` (an eventfd, or -1) aborts the wait with Stopped.
[[nodiscard]] IoStatus send_all(int fd, std::string_view data, Deadline deadline, int stop_fd = -1);
struct ReadResult {
    IoStatus status = IoStatus::Ok;
    std::size_t bytes = 0;  // > 0 only with Ok
};
[[nodiscard]] ReadResult recv_some(int fd, std::span<char> buffer, Deadline deadline,
                                   int stop_fd = -1);
// Appends exactly n bytes to `out` (Ok), or fewer when the stream ends or the deadline passes.
[[nodiscard]] IoStatus recv_exact(int fd, std::size_t n, std::string& out, Deadline deadline,
                                  int stop_fd = -1);
struct Received {
    IoStatus status = IoStatus::Ok;  // Eof when the stream ended cleanly
    std::string data;
};
// Reads until EOF (or reset/deadline), keeping at most `max` bytes.
[[nodiscard]] Received recv_until_eof(int fd, Deadline deadline,
                                      std::size_t max = std::size_t{64} << 20);
[[nodiscard]] bool shutdown_write(int fd);
// Sets SO_LINGER {1, 0}: closing the socket then sends a RST instead of a FIN.
void set_reset_on_close(int fd);

// Waits until the peer closes (reads and discards anything pending): Eof, Reset or Timeout.
[[nodiscard]] IoStatus wait_closed(int fd, Deadline deadline);
[[nodiscard]] inline bool is_closed_within(int fd, Deadline deadline) {
    const IoStatus status = wait_closed(fd, deadline);
    return status == IoStatus::Eof || status == IoStatus::Reset;
}
// Non-blocking: true if the peer has closed (EOF or reset pending). Never consumes data.
[[nodiscard]] bool peer_closed_now(int fd);

// Sends `payload` while receiving (checksumming) everything until EOF, both at once, so neither
// direction can stall the other. Shuts down writing after the last byte when `shutdown_after`.
struct Duplex {
    IoStatus status = IoStatus::Ok;  // Eof: all sent and the peer's stream ended
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t received_checksum = 0;
};
[[nodiscard]] Duplex duplex(int fd, const Payload& payload, bool shutdown_after, Deadline deadline,
                            int stop_fd = -1);

// What a backend saw on one connection.
struct ConnectionRecord {
    std::uint16_t peer_port = 0;
    std::uint64_t received = 0;
    std::uint64_t checksum = Fnv1a{}.value();
    std::uint64_t sent = 0;
    IoStatus end = IoStatus::Ok;  // how the handler finished
    bool finished = false;
};

class BackendServer;

// One accepted connection, as a server handler sees it. The handler fills `record` and calls
// publish() whenever the test may look (at least once, at the end).
class ServerConnection {
public:
    ServerConnection(Fd fd, int stop_fd, BackendServer& server, std::size_t index)
        : fd_(std::move(fd)), stop_fd_(stop_fd), server_(server), index_(index) {}
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] int stop_fd() const { return stop_fd_; }
    ConnectionRecord record;
    void publish();

private:
    Fd fd_;
    int stop_fd_;
    BackendServer& server_;
    std::size_t index_;
};

// A TCP server on its own thread, one thread per connection, each running `handler`. stop()
// (also the destructor) wakes every blocked call through an eventfd and joins all threads.
class BackendServer {
public:
    using Handler = std::function<void(ServerConnection&)>;
    BackendServer(const std::string& ip, std::uint16_t port, Handler handler, int backlog = 512);
    ~BackendServer();
    BackendServer(const BackendServer&) = delete;
    BackendServer& operator=(const BackendServer&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::size_t accepted() const { return accepted_.load(); }
    // A snapshot of every connection's record so far, in accept order.
    [[nodiscard]] std::vector<ConnectionRecord> records() const;
    // Waits until some finished connection's record satisfies `pred`; returns it.
    [[nodiscard]] std::optional<ConnectionRecord> wait_for_record(
        const std::function<bool(const ConnectionRecord&)>& pred, Deadline deadline) const;
    void stop();

private:
    friend class ServerConnection;
    void accept_loop();

    std::string ip_;
    Fd listener_;
    Fd stop_fd_;
    std::uint16_t port_ = 0;
    Handler handler_;
    std::atomic<std::size_t> accepted_{0};
    mutable std::mutex mutex_;
    std::vector<ConnectionRecord> records_;
    std::vector<std::thread> connections_;
    std::thread acceptor_;
    bool stopped_ = false;
};

// Handlers. Each one records what it received (count and checksum) in the connection's record.
// Echo: sends back what it reads; on EOF shuts down writing.
[[nodiscard]] BackendServer::Handler echo_handler();
enum class ReplyWhen {
    Concurrently,  // send `reply` while reading the client's stream, then shut down writing
    AfterEof,      // read until EOF, then send `reply` and shut down writing
    First,         // send `reply`, shut down writing, then read until EOF
};
[[nodiscard]] BackendServer::Handler reply_handler(Payload reply, ReplyWhen when);

// A listener whose accept queue is full, so that further SYNs to it are dropped and connects
// hang: listen(fd, 0), then connections the test never accepts, until one does not complete.
class Blackhole {
public:
    explicit Blackhole(const std::string& ip);
    [[nodiscard]] std::uint16_t port() const { return port_; }
    // True once a probe connect did not complete: the queue is full.
    [[nodiscard]] bool full() const { return full_; }

private:
    Fd listener_;
    std::vector<Fd> fillers_;
    std::uint16_t port_ = 0;
    bool full_ = false;
};

}  // namespace lb::test
