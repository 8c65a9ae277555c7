// ReplyServer: an epoll loop over the listener, a stop eventfd and the connections.
#include "tests/support/reply_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

#include "tests/support/netns_scope.h"

namespace lb::test {
namespace {

constexpr std::size_t kMaxRequest = 8192;
constexpr auto kIdleLimit = std::chrono::seconds(10);

struct Connection {
    std::string request;
    bool replied = false;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
};

[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

int listen_on(const ReplyServer::Options& options) {
    std::optional<NetnsScope> scope;
    if (!options.netns.empty()) scope.emplace(options.netns);
    const std::string where = options.ip + ":" + std::to_string(options.port);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket for " + where);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (options.freebind) ::setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(options.port);
    if (::inet_pton(AF_INET, options.ip.c_str(), &address.sin_addr) != 1) {
        ::close(fd);
        errno = EINVAL;
        fail("address " + where);
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 1024) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        fail("listen on " + where);
    }
    return fd;
}

}  // namespace

ReplyServer::ReplyServer(Options options) : options_(std::move(options)) {
    listener_ = listen_on(options_);
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) {
        ::close(listener_);
        fail("eventfd");
    }
    thread_ = std::thread([this] { serve(); });
}

ReplyServer::~ReplyServer() { stop(); }

void ReplyServer::stop() {
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(stop_fd_);
}

void ReplyServer::serve() noexcept {
    const std::string reply =
        "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(options_.body.size() + 1) +
        "\r\nConnection: close\r\n\r\n" + options_.body + "\n";
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    std::map<int, Connection> connections;
    const auto watch = [&](int fd) {
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.fd = fd;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    };
    const auto drop = [&](int fd) {
        ::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        connections.erase(fd);
    };
    watch(listener_);
    watch(stop_fd_);
    std::array<epoll_event, 64> events{};
    std::array<char, 4096> buffer{};
    for (bool running = true; running;) {
        const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
        for (int i = 0; i < ready; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == stop_fd_) {
                running = false;
            } else if (fd == listener_) {
                for (;;) {
                    const int client =
                        ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (client < 0) break;
                    connections.emplace(client, Connection{});
                    watch(client);
                }
            } else if (auto it = connections.find(fd); it != connections.end()) {
                Connection& connection = it->second;
                bool closed = false;
                for (;;) {
                    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
                    if (n > 0) {
                        if (!connection.replied && connection.request.size() < kMaxRequest)
                            connection.request.append(buffer.data(), static_cast<std::size_t>(n));
                        continue;
                    }
                    closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
                    break;
                }
                const bool complete = connection.request.find("\r\n\r\n") != std::string::npos ||
                                      connection.request.size() >= kMaxRequest ||
                                      (closed && !connection.request.empty());
                if (!connection.replied && complete) {
                    // A few dozen bytes: they fit a fresh socket's send buffer in one call.
                    (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
                    ::shutdown(fd, SHUT_WR);
                    connection.replied = true;
                    served_.fetch_add(1);
                }
                if (closed) drop(fd);
            }
        }
        const auto now = std::chrono::steady_clock::now();
        for (auto it = connections.begin(); it != connections.end();) {
            const int fd = it->first;
            ++it;
            if (now - connections.at(fd).since > kIdleLimit) drop(fd);
        }
    }
    for (auto& [fd, connection] : connections) ::close(fd);
    ::close(listener_);
    ::close(epoll);
}

}  // namespace lb::test
