// RuntimeApiConnection: blocking I/O with poll() and deadlines on a Unix stream socket.
#include "tests/support/runtime_api_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

namespace lb::test {
namespace {

int remaining_ms(Deadline deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    return static_cast<int>(std::clamp<long long>(left.count(), 0, 60'000));
}

bool ends_reply(std::string_view bytes) {
    return bytes == "\n" || bytes.ends_with("\n\n") || bytes.ends_with("\n> ") || bytes == "> ";
}

}  // namespace

RuntimeApiConnection::RuntimeApiConnection(const std::filesystem::path& socket, Deadline deadline) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof address.sun_path) {
        error_ = ENAMETOOLONG;
        return;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    // A Unix connect does not block for long; retry while the file is not there yet.
    while (true) {
        Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd) {
            error_ = errno;
            return;
        }
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            fd_ = std::move(fd);
            error_ = 0;
            return;
        }
        error_ = errno;
        if (error_ == EAGAIN || error_ == EINPROGRESS) {  // backlog full: wait for writability
            pollfd pfd{fd.get(), POLLOUT, 0};
            if (::poll(&pfd, 1, remaining_ms(deadline)) == 1) {
                int so_error = 0;
                socklen_t len = sizeof so_error;
                ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
                if (so_error == 0) {
                    fd_ = std::move(fd);
                    error_ = 0;
                    return;
                }
                error_ = so_error;
            }
        }
        if (expired(deadline)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool RuntimeApiConnection::send(std::string_view bytes, Deadline deadline) {
    if (!fd_ || closed_) return false;
    return send_all(fd_.get(), bytes, deadline) == IoStatus::Ok;
}

bool RuntimeApiConnection::shutdown_write() { return fd_ && lb::test::shutdown_write(fd_.get()); }

ApiReply RuntimeApiConnection::read(Deadline deadline, std::chrono::milliseconds settle) {
    ApiReply out;
    if (!fd_ || closed_) {
        out.closed = true;
        return out;
    }
    std::array<char, 16384> buffer{};
    for (;;) {
        const bool complete = ends_reply(out.bytes);
        const int quiet_ms =
            complete ? static_cast<int>(out.bytes.ends_with("> ") ? 50 : settle.count()) : -1;
        const int wait_ms =
            quiet_ms < 0 ? remaining_ms(deadline) : std::min(quiet_ms, remaining_ms(deadline));
        pollfd pfd{fd_.get(), POLLIN, 0};
        const int ready = ::poll(&pfd, 1, wait_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            // Quiet: a complete reply with the connection left open, or the deadline.
            out.timed_out = !complete;
            return out;
        }
        const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
        if (n > 0) {
            out.bytes.append(buffer.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        closed_ = true;  // EOF, or ECONNRESET and the like
        out.closed = true;
        return out;
    }
}

std::optional<std::string> ask_and_close(const std::filesystem::path& socket,
                                         std::string_view bytes, Deadline deadline) {
    RuntimeApiConnection connection(socket, deadline);
    if (!connection.connected() || !connection.send(bytes, deadline)) return std::nullopt;
    (void)connection.shutdown_write();
    ApiReply reply = connection.read(deadline, std::chrono::milliseconds(100));
    if (reply.timed_out || reply.bytes.empty()) return std::nullopt;
    return std::move(reply.bytes);
}

}  // namespace lb::test
