// A blocking client with one deadline for the whole exchange: connect, send the line, shut down
// writing (so the server closes once it has answered), then print every reply until the server
// closes. A line may hold several commands ("show info;show stat"), each answered with its own
// reply; a reply never contains an empty line, so each empty line ends one.
#include "lb/admin/ctl_client.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <system_error>

#include "lb/admin/commands.h"

namespace lb::admin {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kOk = 0;
constexpr int kErrorReply = 1;
constexpr int kNoReply = 2;

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

std::string connect_problem(int error) {
    switch (error) {
        case ENOENT:
            return "no such file (is lb running? use -s SOCKET or -c lb.toml)";
        case ECONNREFUSED:
            return "connection refused (a stale socket: is lb running? use -s SOCKET or -c "
                   "lb.toml)";
        case EACCES:
            return "permission denied (run as root or as a member of the socket's group)";
        case ENOTSOCK:
            return "not a socket";
        default:
            return std::generic_category().message(error);
    }
}

// Milliseconds left until `deadline`, for poll(); 0 once it has passed.
int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

// Waits for `events` on `fd`; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int timeout = remaining_ms(deadline);
        const int rc = ::poll(&p, 1, timeout);
        if (rc > 0) return true;
        if (rc < 0 && errno == EINTR) continue;
        if (rc == 0 && timeout > 0) continue;  // capped wait elapsed; deadline not yet
        return false;
    }
}

// Takes the first complete reply out of `received`: its body, terminator removed.
std::optional<std::string> take_reply(std::string& received) {
    if (received.starts_with("\n")) {
        received.erase(0, 1);
        return std::string();
    }
    const std::size_t end = received.find("\n\n");
    if (end == std::string::npos) return std::nullopt;
    std::string body = received.substr(0, end + 1);
    received.erase(0, end + 2);
    return body;
}

}  // namespace

int run_ctl(const std::string& socket_path, const std::vector<std::string>& words,
            std::ostream& out, std::ostream& err, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string line;
    for (const std::string& word : words) {
        if (!line.empty()) line += ' ';
        line += word;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) {
        err << "lb ctl: missing COMMAND (try 'lb ctl help')\n";
        return kNoReply;
    }
    if (line.find_first_of("\r\n") != std::string::npos) {
        err << "lb ctl: a command is one line\n";
        return kNoReply;
    }

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
        err << fmt::format("lb ctl: cannot connect to {}: invalid socket path\n", socket_path);
        return kNoReply;
    }
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    const Socket sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (sock.get() < 0) {
        err << fmt::format("lb ctl: cannot create a socket: {}\n",
                           std::generic_category().message(errno));
        return kNoReply;
    }
    if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        // A Unix socket connects at once or not at all; EAGAIN means a full backlog.
        const int error = errno == EAGAIN ? ETIMEDOUT : errno;
        err << fmt::format("lb ctl: cannot connect to {}: {}\n", socket_path,
                           connect_problem(error));
        return kNoReply;
    }

    const std::string request = line + "\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n =
            ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(sock.get(), POLLOUT, deadline)) {
                err << fmt::format("lb ctl: {} does not accept the command within {} ms\n",
                                   socket_path, timeout.count());
                return kNoReply;
            }
        } else {
            err << fmt::format("lb ctl: cannot send to {}: {}\n", socket_path,
                               std::generic_category().message(errno));
            return kNoReply;
        }
    }
    ::shutdown(sock.get(), SHUT_WR);  // nothing more to say: the server closes after replying

    // Every reply is printed as it completes; the exchange ends when the server closes, which
    // it does once every command of the line is answered (it saw our FIN).
    std::string received;
    std::size_t replies = 0;
    bool error_reply = false;
    char buffer[16384];
    for (;;) {
        for (;;) {
            // After `prompt` (interactive mode) each reply is followed by "> ": not part of any.
            if (replies > 0 && received.starts_with("> ")) received.erase(0, 2);
            auto body = take_reply(received);
            if (!body) break;
            // Between two replies the empty line that separates them, as socat shows it; the
            // last reply's terminator is not printed.
            if (replies > 0) out << '\n';
            out << *body << std::flush;
            ++replies;
            error_reply = error_reply || is_error_reply(*body);
        }
        if (!wait_for(sock.get(), POLLIN, deadline)) {
            if (replies == 0)
                err << fmt::format("lb ctl: no reply from {} within {} ms\n", socket_path,
                                   timeout.count());
            else
                err << fmt::format("lb ctl: {} did not finish replying within {} ms\n", socket_path,
                                   timeout.count());
            return kNoReply;
        }
        const ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
        if (n > 0) {
            received.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EAGAIN && errno != EINTR) {
            err << fmt::format("lb ctl: cannot read from {}: {}\n", socket_path,
                               std::generic_category().message(errno));
            return kNoReply;
        }
    }
    if (replies > 0 && received == "> ") received.clear();
    if (replies == 0 || !received.empty()) {
        err << fmt::format("lb ctl: {} closed the connection before the reply was complete\n",
                           socket_path);
        return kNoReply;
    }
    return error_reply ? kErrorReply : kOk;
}

int run_ctl(const std::string& socket_path, const std::vector<std::string>& words) {
    return run_ctl(socket_path, words, std::cout, std::cerr, std::chrono::seconds(10));
}

}  // namespace lb::admin
