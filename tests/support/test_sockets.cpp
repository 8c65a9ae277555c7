// Blocking TCP helpers for end-to-end tests: poll()-based deadlines, payloads, backend servers.
// Every socket is non-blocking and close-on-exec; waits are poll() on the socket and a stop fd.
#include "tests/support/test_sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace lb::test {

namespace {

constexpr std::size_t kIoChunk = 256U << 10;

struct SockAddr {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;

    [[nodiscard]] const sockaddr* get() const {
        return reinterpret_cast<const sockaddr*>(&storage);
    }
};

SockAddr make_sockaddr(const std::string& ip, std::uint16_t port) {
    SockAddr out;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out.length = sizeof(sockaddr_in);
        out.family = AF_INET;
        return out;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out.length = sizeof(sockaddr_in6);
        out.family = AF_INET6;
        return out;
    }
    throw std::invalid_argument("not a numeric IP address: " + ip);
}

std::uint16_t port_of(const sockaddr_storage& storage) {
    if (storage.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

enum class Wait { Ready, Timeout, Stopped, Error };

// Waits for `events` on fd, or the stop fd, or the deadline. POLLERR/POLLHUP count as ready: the
// next system call on the socket reports what happened.
Wait wait_for(int fd, short events, Deadline deadline, int stop_fd) {
    for (;;) {
        const auto remaining = deadline - SteadyClock::now();
        if (remaining <= SteadyClock::duration::zero()) return Wait::Timeout;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
        const int timeout = static_cast<int>(std::min<long long>(ms, INT_MAX));
        std::array<pollfd, 2> fds{pollfd{fd, events, 0}, pollfd{stop_fd, POLLIN, 0}};
        const nfds_t count = stop_fd >= 0 ? 2 : 1;
        const int rc = poll(fds.data(), count, timeout);
        if (rc < 0) {
            if (errno == EINTR) continue;
            return Wait::Error;
        }
        if (count == 2 && fds[1].revents != 0) return Wait::Stopped;
        if (fds[0].revents != 0) return Wait::Ready;
    }
}

IoStatus from_wait(Wait wait) {
    switch (wait) {
        case Wait::Timeout:
            return IoStatus::Timeout;
        case Wait::Stopped:
            return IoStatus::Stopped;
        default:
            return IoStatus::Error;
    }
}

IoStatus from_errno(int error) {
    return error == ECONNRESET || error == EPIPE || error == ECONNABORTED ? IoStatus::Reset
                                                                          : IoStatus::Error;
}

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

const char* to_string(IoStatus status) {
    switch (status) {
        case IoStatus::Ok:
            return "ok";
        case IoStatus::Eof:
            return "eof";
        case IoStatus::Reset:
            return "reset";
        case IoStatus::Error:
            return "error";
        case IoStatus::Timeout:
            return "timeout";
        case IoStatus::Stopped:
            return "stopped";
    }
    return "?";
}

void Fnv1a::update(std::string_view bytes) {
    std::uint64_t h = hash_;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    hash_ = h;
}

Payload Payload::random(std::uint64_t size, std::uint64_t seed, std::size_t block_size) {
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(size, block_size));
    std::string block(length, '\0');
    std::uint64_t state = seed;
    for (std::size_t i = 0; i < length; i += 8) {
        const std::uint64_t word = splitmix64(state);
        std::memcpy(block.data() + i, &word, std::min<std::size_t>(8, length - i));
    }
    Payload out;
    out.block_ = std::make_shared<const std::string>(std::move(block));
    out.size_ = size;
    return out;
}

Payload Payload::text(std::string bytes) {
    Payload out;
    out.size_ = bytes.size();
    out.block_ = std::make_shared<const std::string>(std::move(bytes));
    return out;
}

std::string_view Payload::chunk_at(std::uint64_t offset, std::size_t max) const {
    if (offset >= size_ || !block_ || block_->empty()) return {};
    const std::size_t in_block = static_cast<std::size_t>(offset % block_->size());
    // size_t and uint64_t are the same width on every platform this suite runs on (LP64).
    const auto left = static_cast<std::size_t>(size_ - offset);
    const std::size_t length = std::min({max, block_->size() - in_block, left});
    return std::string_view(*block_).substr(in_block, length);
}

std::uint64_t Payload::checksum() const {
    Fnv1a hash;
    for (std::uint64_t offset = 0; offset < size_;) {
        const std::string_view chunk = chunk_at(offset, SIZE_MAX);
        hash.update(chunk);
        offset += chunk.size();
    }
    return hash.value();
}

std::string Payload::materialize() const {
    std::string out;
    out.reserve(static_cast<std::size_t>(size_));
    for (std::uint64_t offset = 0; offset < size_;) {
        const std::string_view chunk = chunk_at(offset, SIZE_MAX);
        out.append(chunk);
        offset += chunk.size();
    }
    return out;
}

namespace {

// The first port of the kernel's ephemeral range: bind(0) and connect() take ports from
// [first, last], so a port below it is never handed out to anyone by the kernel.
std::uint16_t ephemeral_first() {
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    unsigned first = 0;
    if (!(in >> first) || first > 65535) return 0;
    return static_cast<std::uint16_t>(first);
}

// A reservation of `key` (a port, or "ADDRESS:PORT") among every test process on this host: an
// exclusive flock on /tmp/lb-test-ports/KEY, held by an open file description that lives as long
// as this process (a second open in this process conflicts too). Invalid if another process
// holds it.
Fd reserve(const std::string& key) {
    static const std::string dir = [] {
        const std::string path = "/tmp/lb-test-ports";
        if (::mkdir(path.c_str(), 01777) == 0) (void)::chmod(path.c_str(), 01777);
        return path;
    }();
    const std::string path = dir + "/" + key;
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
    if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return Fd();
    return fd;
}

Fd reserve_port(std::uint16_t port) { return reserve(std::to_string(port)); }

}  // namespace

std::uint16_t free_port(const std::string& ip) {
    // Below the ephemeral range, so no connect() or bind(0) anywhere can take the port between
    // this pick and the bind of the process the test starts (lb, NGINX); reserved (flock) so no
    // other test process picks it while this one runs. Without room below the range: bind(0).
    static std::mutex mutex;
    static std::vector<Fd> reservations;  // held until the process exits
    constexpr std::uint16_t kLowest = 10000;
    const std::uint16_t first = ephemeral_first();
    if (first > kLowest + 1000) {
        const std::lock_guard lock(mutex);
        static std::minstd_rand random(std::random_device{}());
        const unsigned span = first - kLowest;
        const unsigned start = static_cast<unsigned>(random() % span);
        for (unsigned i = 0; i < span; ++i) {
            const auto port = static_cast<std::uint16_t>(kLowest + (start + i) % span);
            Fd reservation = reserve_port(port);
            if (!reservation) continue;
            try {
                (void)listen_tcp(ip, port, 1);  // free on `ip` now (and, for 0.0.0.0, on all)
            } catch (const std::runtime_error&) {
                continue;
            }
            reservations.push_back(std::move(reservation));
            return port;
        }
    }
    const Fd fd = listen_tcp(ip, 0, 1);
    return local_port(fd.get());
}

std::string free_loopback_address(std::uint16_t port) {
    // 127.0.X.Y with X >= 1: the suite's fixed addresses (127.0.0.1 to .3) are never picked.
    static std::mutex mutex;
    static std::vector<Fd> reservations;  // held until the process exits
    const std::lock_guard lock(mutex);
    static std::minstd_rand random(std::random_device{}());
    constexpr unsigned kCandidates = 254 * 253;  // X in 1..254, Y in 2..254
    const unsigned start = static_cast<unsigned>(random() % kCandidates);
    for (unsigned i = 0; i < 256; ++i) {
        const unsigned n = (start + i) % kCandidates;
        const std::string address =
            "127.0." + std::to_string(1 + n / 253) + "." + std::to_string(2 + n % 253);
        Fd reservation = reserve(address + ":" + std::to_string(port));
        if (!reservation) continue;
        try {
            (void)listen_tcp(address, port, 1);
        } catch (const std::runtime_error&) {
            continue;
        }
        reservations.push_back(std::move(reservation));
        return address;
    }
    return "";
}

Fd listen_tcp(const std::string& ip, std::uint16_t port, int backlog) {
    const SockAddr addr = make_sockaddr(ip, port);
    Fd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), addr.get(), addr.length) != 0)
        throw std::runtime_error("bind " + endpoint(ip, port) + ": " + std::strerror(errno));
    if (::listen(fd.get(), backlog) != 0)
        throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
    return port_of(storage);
}

std::string endpoint(const std::string& ip, std::uint16_t port) {
    if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
    return ip + ":" + std::to_string(port);
}

Fd connect_tcp(const std::string& ip, std::uint16_t port, Deadline deadline, int* error) {
    int ignored = 0;
    int& failure = error != nullptr ? *error : ignored;
    failure = 0;
    const SockAddr addr = make_sockaddr(ip, port);
    Fd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        failure = errno;
        return {};
    }
    if (::connect(fd.get(), addr.get(), addr.length) == 0) return fd;
    if (errno != EINPROGRESS) {
        failure = errno;
        return {};
    }
    if (wait_for(fd.get(), POLLOUT, deadline, -1) != Wait::Ready) {
        failure = ETIMEDOUT;
        return {};
    }
    socklen_t length = sizeof failure;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &failure, &length) != 0) failure = errno;
    if (failure != 0) return {};
    return fd;
}

ConnectAttempt try_connect(const std::string& ip, std::uint16_t port, Deadline deadline) {
    ConnectAttempt out;
    const SockAddr addr = make_sockaddr(ip, port);
    Fd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        out.error = errno;
        return out;
    }
    const SockAddr local = make_sockaddr(addr.family == AF_INET6 ? "::" : "0.0.0.0", 0);
    if (::bind(fd.get(), local.get(), local.length) != 0) {
        out.error = errno;
        return out;
    }
    out.local_port = lb::test::local_port(fd.get());
    if (::connect(fd.get(), addr.get(), addr.length) != 0) {
        if (errno != EINPROGRESS) {
            out.error = errno;
            return out;
        }
        if (wait_for(fd.get(), POLLOUT, deadline, -1) != Wait::Ready) {
            out.error = ETIMEDOUT;
            return out;
        }
        socklen_t length = sizeof out.error;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &out.error, &length) != 0)
            out.error = errno;
        if (out.error != 0) return out;
    }
    out.fd = std::move(fd);
    return out;
}

IoStatus send_all(int fd, std::string_view data, Deadline deadline, int stop_fd) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return from_errno(errno);
        if (const Wait w = wait_for(fd, POLLOUT, deadline, stop_fd); w != Wait::Ready)
            return from_wait(w);
    }
    return IoStatus::Ok;
}

ReadResult recv_some(int fd, std::span<char> buffer, Deadline deadline, int stop_fd) {
    for (;;) {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n > 0) return {IoStatus::Ok, static_cast<std::size_t>(n)};
        if (n == 0) return {IoStatus::Eof, 0};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return {from_errno(errno), 0};
        if (const Wait w = wait_for(fd, POLLIN, deadline, stop_fd); w != Wait::Ready)
            return {from_wait(w), 0};
    }
}

IoStatus recv_exact(int fd, std::size_t n, std::string& out, Deadline deadline, int stop_fd) {
    std::vector<char> buffer(std::min(n, kIoChunk));
    while (n > 0) {
        const ReadResult r =
            recv_some(fd, std::span(buffer).first(std::min(n, buffer.size())), deadline, stop_fd);
        if (r.status != IoStatus::Ok) return r.status;
        out.append(buffer.data(), r.bytes);
        n -= r.bytes;
    }
    return IoStatus::Ok;
}

Received recv_until_eof(int fd, Deadline deadline, std::size_t max) {
    Received out;
    std::vector<char> buffer(kIoChunk);
    for (;;) {
        const ReadResult r = recv_some(fd, buffer, deadline);
        if (r.status != IoStatus::Ok) {
            out.status = r.status;
            return out;
        }
        out.data.append(buffer.data(), std::min(r.bytes, max - std::min(max, out.data.size())));
    }
}

bool shutdown_write(int fd) { return ::shutdown(fd, SHUT_WR) == 0; }

void set_reset_on_close(int fd) {
    const linger option{1, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

IoStatus wait_closed(int fd, Deadline deadline) {
    std::vector<char> buffer(kIoChunk);
    for (;;) {
        const ReadResult r = recv_some(fd, buffer, deadline);
        if (r.status != IoStatus::Ok) return r.status;
    }
}

bool peer_closed_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char byte = 0;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

Duplex duplex(int fd, const Payload& payload, bool shutdown_after, Deadline deadline, int stop_fd) {
    Duplex out;
    Fnv1a hash;
    std::vector<char> buffer(kIoChunk);
    bool shut = false;
    bool eof = false;
    for (;;) {
        const bool all_sent = out.sent == payload.size();
        if (all_sent && shutdown_after && !shut) {
            if (!shutdown_write(fd)) {
                out.status = from_errno(errno);
                break;
            }
            shut = true;
        }
        if (all_sent && eof) {
            out.status = IoStatus::Eof;
            break;
        }
        if (!all_sent) {
            const std::string_view chunk = payload.chunk_at(out.sent, kIoChunk);
            const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
            if (n > 0) out.sent += static_cast<std::uint64_t>(n);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                out.status = from_errno(errno);
                break;
            }
        }
        if (!eof) {
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n > 0) {
                hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
                out.received += static_cast<std::uint64_t>(n);
                continue;
            }
            if (n == 0) {
                eof = true;
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                out.status = from_errno(errno);
                break;
            }
        }
        const short events = static_cast<short>((eof ? 0 : POLLIN) | (all_sent ? 0 : POLLOUT));
        if (events == 0) continue;
        if (const Wait w = wait_for(fd, events, deadline, stop_fd); w != Wait::Ready) {
            out.status = from_wait(w);
            break;
        }
    }
    out.received_checksum = hash.value();
    return out;
}

void ServerConnection::publish() {
    const std::lock_guard lock(server_.mutex_);
    server_.records_.at(index_) = record;
}

BackendServer::BackendServer(const std::string& ip, std::uint16_t port, Handler handler,
                             int backlog)
    : ip_(ip),
      listener_(listen_tcp(ip, port, backlog)),
      stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      port_(local_port(listener_.get())),
      handler_(std::move(handler)) {
    if (!stop_fd_) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    acceptor_ = std::thread([this] { accept_loop(); });
}

BackendServer::~BackendServer() { stop(); }

void BackendServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof one);  // stays readable: wakes every poll()
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
        const std::lock_guard lock(mutex_);
        threads.swap(connections_);
    }
    for (std::thread& t : threads) t.join();
    listener_.reset();
}

std::vector<ConnectionRecord> BackendServer::records() const {
    const std::lock_guard lock(mutex_);
    return records_;
}

std::optional<ConnectionRecord> BackendServer::wait_for_record(
    const std::function<bool(const ConnectionRecord&)>& pred, Deadline deadline) const {
    std::optional<ConnectionRecord> found;
    (void)wait_until(
        [&] {
            for (const ConnectionRecord& r : records())
                if (r.finished && pred(r)) {
                    found = r;
                    return true;
                }
            return false;
        },
        deadline);
    return found;
}

void BackendServer::accept_loop() {
    const Deadline forever = SteadyClock::now() + std::chrono::hours(24);
    for (;;) {
        if (wait_for(listener_.get(), POLLIN, forever, stop_fd_.get()) != Wait::Ready) return;
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        Fd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EMFILE || errno == ENFILE) return;  // the test process ran out: give up
            continue;
        }
        ++accepted_;
        const std::lock_guard lock(mutex_);
        const std::size_t index = records_.size();
        const std::uint16_t peer_port = port_of(peer);
        records_.push_back(ConnectionRecord{.peer_port = peer_port});
        connections_.emplace_back([this, index, peer_port, conn_fd = std::move(fd)]() mutable {
            ServerConnection conn(std::move(conn_fd), stop_fd_.get(), *this, index);
            conn.record.peer_port = peer_port;
            handler_(conn);
            conn.record.finished = true;
            conn.publish();
        });
    }
}

namespace {

// Every handler gives up after this long; a test that needs longer is broken anyway.
constexpr auto kHandlerLimit = std::chrono::seconds(120);

void record_read(ConnectionRecord& record, Fnv1a& hash, std::string_view bytes) {
    hash.update(bytes);
    record.received += bytes.size();
    record.checksum = hash.value();
}

// Reads until EOF, checksumming into the record.
IoStatus drain(ServerConnection& conn, Fnv1a& hash, Deadline deadline) {
    std::vector<char> buffer(kIoChunk);
    for (;;) {
        const ReadResult r = recv_some(conn.fd(), buffer, deadline, conn.stop_fd());
        if (r.status != IoStatus::Ok) return r.status;
        record_read(conn.record, hash, std::string_view(buffer.data(), r.bytes));
    }
}

IoStatus send_payload(ServerConnection& conn, const Payload& payload, Deadline deadline) {
    while (conn.record.sent < payload.size()) {
        const std::string_view chunk = payload.chunk_at(conn.record.sent, kIoChunk);
        const IoStatus status = send_all(conn.fd(), chunk, deadline, conn.stop_fd());
        if (status != IoStatus::Ok) return status;
        conn.record.sent += chunk.size();
    }
    return IoStatus::Ok;
}

}  // namespace

BackendServer::Handler echo_handler() {
    return [](ServerConnection& conn) {
        const Deadline deadline = deadline_in(kHandlerLimit);
        Fnv1a hash;
        std::vector<char> buffer(kIoChunk);
        for (;;) {
            const ReadResult r = recv_some(conn.fd(), buffer, deadline, conn.stop_fd());
            if (r.status == IoStatus::Eof) {
                (void)shutdown_write(conn.fd());
                conn.record.end = IoStatus::Eof;
                return;
            }
            if (r.status != IoStatus::Ok) {
                conn.record.end = r.status;
                return;
            }
            const std::string_view bytes(buffer.data(), r.bytes);
            record_read(conn.record, hash, bytes);
            conn.publish();
            const IoStatus sent = send_all(conn.fd(), bytes, deadline, conn.stop_fd());
            if (sent != IoStatus::Ok) {
                conn.record.end = sent;
                return;
            }
            conn.record.sent += bytes.size();
        }
    };
}

BackendServer::Handler reply_handler(Payload reply, ReplyWhen when) {
    return [reply = std::move(reply), when](ServerConnection& conn) {
        const Deadline deadline = deadline_in(kHandlerLimit);
        Fnv1a hash;
        switch (when) {
            case ReplyWhen::Concurrently: {
                const Duplex d = duplex(conn.fd(), reply, true, deadline, conn.stop_fd());
                conn.record.received = d.received;
                conn.record.checksum = d.received_checksum;
                conn.record.sent = d.sent;
                conn.record.end = d.status;
                return;
            }
            case ReplyWhen::AfterEof: {
                conn.record.end = drain(conn, hash, deadline);
                conn.publish();
                if (conn.record.end != IoStatus::Eof) return;
                const IoStatus sent = send_payload(conn, reply, deadline);
                if (sent != IoStatus::Ok) conn.record.end = sent;
                (void)shutdown_write(conn.fd());
                return;
            }
            case ReplyWhen::First: {
                const IoStatus sent = send_payload(conn, reply, deadline);
                if (sent != IoStatus::Ok) {
                    conn.record.end = sent;
                    return;
                }
                (void)shutdown_write(conn.fd());
                conn.publish();
                conn.record.end = drain(conn, hash, deadline);
                return;
            }
        }
    };
}

Blackhole::Blackhole(const std::string& ip) : listener_(listen_tcp(ip, 0, 0)) {
    port_ = local_port(listener_.get());
    const SockAddr addr = make_sockaddr(ip, port_);
    for (int i = 0; i < 64 && !full_; ++i) {
        Fd fd(::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) break;
        if (::connect(fd.get(), addr.get(), addr.length) != 0 && errno == EINPROGRESS) {
            // On loopback a handshake completes at once; one that does not was dropped.
            full_ = wait_for(fd.get(), POLLOUT, deadline_in(std::chrono::milliseconds(200)), -1) ==
                    Wait::Timeout;
        }
        fillers_.push_back(std::move(fd));
    }
}

}  // namespace lb::test
