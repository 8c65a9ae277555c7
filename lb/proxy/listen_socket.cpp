#include "lb/proxy/listen_socket.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lb {
namespace {

Error socket_error(const char* what, const SocketAddress& address) {
    return Error{fmt::format("{} {}: {}", what, address.to_string(), std::strerror(errno))};
}

}  // namespace

Result<int> open_listen_socket(const SocketAddress& address) {
    const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return socket_error("socket for", address);
    const int on = 1;
    // TCP_NODELAY here is inherited by every accepted socket: one setsockopt per listener
    // instead of one per connection.
    bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0 &&
              setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0;
    if (ok && address.is_v6())
        ok = setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof on) == 0;
    else if (ok)
        ok = setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof on) == 0;
    if (!ok) {
        const Error error = socket_error("socket options for", address);
        ::close(fd);
        return error;
    }
    if (::bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
        const Error error = socket_error("cannot bind", address);
        ::close(fd);
        return error;
    }
    if (::listen(fd, kListenBacklog) != 0) {
        const Error error = socket_error("cannot listen on", address);
        ::close(fd);
        return error;
    }
    return fd;
}

}  // namespace lb
