#include "tests/component/proxy/loopback.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <random>

#include "tests/support/loop_runner.h"

namespace lb::test {
namespace {

void set_buffers(int fd, int bytes) {
    if (bytes <= 0) return;
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) == 0);
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0);
}

}  // namespace

LoopbackPair loopback_pair(int buffer_bytes) {
    Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener.valid());
    set_buffers(listener.get(), buffer_bytes);  // inherited by the accepted socket
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 1) == 0);
    socklen_t length = sizeof addr;
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &length) == 0);

    Fd near(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(near.valid());
    set_buffers(near.get(), buffer_bytes);
    // A blocking connect on loopback completes at once (the listener's queue has room).
    REQUIRE(::connect(near.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    Fd far(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    REQUIRE(far.valid());
    REQUIRE(::fcntl(near.get(), F_SETFL, ::fcntl(near.get(), F_GETFL) | O_NONBLOCK) == 0);
    return LoopbackPair{std::move(near), std::move(far)};
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

uv_tcp_t* open_stream(uv_loop_t* loop, Fd fd) {
    ignore_sigpipe();
    auto* tcp = new uv_tcp_t{};
    REQUIRE(uv_tcp_init(loop, tcp) == 0);
    REQUIRE(uv_tcp_open(tcp, fd.release()) == 0);
    return tcp;
}

void close_stream(uv_tcp_t* tcp) {
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
}

void PeerSocket::poll(bool read, bool write) {
    if (!fd_.valid()) return;
    if (write) {
        send_blocked_ = false;
        while (sent_ < outgoing_.size()) {
            const ssize_t n =
                ::send(fd_.get(), outgoing_.data() + sent_, outgoing_.size() - sent_, MSG_NOSIGNAL);
            if (n > 0) {
                sent_ += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                send_blocked_ = true;
            else if (n < 0 && error_ == 0)
                error_ = errno;
            break;
        }
        if (shutdown_pending_ && !shut_down_ && all_sent()) {
            REQUIRE(::shutdown(fd_.get(), SHUT_WR) == 0);
            shut_down_ = true;
        }
    }
    if (!read) return;
    char buffer[64 * 1024];
    while (!eof_) {
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n > 0) {
            received_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            eof_ = true;
            break;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK && error_ == 0) error_ = errno;
        break;
    }
}

void PeerSocket::reset() {
    set_reset_on_close(fd_.get());
    fd_.reset();
}

std::string test_bytes(std::size_t size, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    return bytes;
}

void run_driving(uv_loop_t* loop, const std::function<void()>& drive,
                 std::chrono::milliseconds duration) {
    const auto end = std::chrono::steady_clock::now() + duration;
    (void)run_until(
        loop,
        [&] {
            drive();
            return std::chrono::steady_clock::now() >= end;
        },
        duration + std::chrono::seconds(1));
}

bool run_until_stalled(uv_loop_t* loop, const std::function<void()>& drive,
                       const std::function<std::uint64_t()>& progress,
                       std::chrono::milliseconds window, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint64_t before = progress();
    while (std::chrono::steady_clock::now() < deadline) {
        run_driving(loop, drive, window);
        const std::uint64_t after = progress();
        if (after == before) return true;
        before = after;
    }
    return false;
}

}  // namespace lb::test
