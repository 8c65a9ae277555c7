// The soak test's echo site; see site_server.h.
#include "tests/soak/site_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace lb::test::soak {
namespace {

using namespace std::chrono_literals;

// No byte either way for this long ends a connection (lb's idle timeout is shorter).
constexpr auto kQuiet = 180s;

// Waits for `events` on fd or the stop fd; false when stopped, on error or at the deadline.
bool ready(int fd, short events, int stop_fd, Deadline deadline) {
    for (;;) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return false;
        std::array<pollfd, 2> fds{pollfd{fd, events, 0}, pollfd{stop_fd, POLLIN, 0}};
        const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0 || (fds[1].revents & POLLIN) != 0) return false;
        if (fds[0].revents != 0) return true;
    }
}

}  // namespace

SiteServer::SiteServer(const std::string& ip, std::uint16_t port)
    : listener_(listen_tcp(ip, port, 1024)), stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!stop_fd_) throw std::runtime_error("eventfd failed");
    acceptor_ = std::thread([this] { accept_loop(); });
}

SiteServer::~SiteServer() { stop(); }

void SiteServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    const std::uint64_t one = 1;  // the eventfd stays readable: every wait sees it
    (void)!::write(stop_fd_.get(), &one, sizeof one);
    acceptor_.join();
    std::list<std::unique_ptr<Connection>> left;
    {
        const std::lock_guard lock(mutex_);
        left.swap(connections_);
    }
    for (auto& c : left) c->thread.join();
    listener_.reset();
}

SiteTally SiteServer::tally() const {
    SiteTally t;
    t.accepted = accepted_.load();
    t.open = open_.load();
    t.received = received_.load();
    t.sent = sent_.load();
    t.resets_sent = resets_sent_.load();
    t.ended_eof = ended_eof_.load();
    t.ended_reset = ended_reset_.load();
    t.ended_other = ended_other_.load();
    return t;
}

void SiteServer::reap_finished() {
    std::list<std::unique_ptr<Connection>> finished;
    {
        const std::lock_guard lock(mutex_);
        for (auto it = connections_.begin(); it != connections_.end();) {
            auto next = std::next(it);
            if ((*it)->done.load()) finished.splice(finished.end(), connections_, it);
            it = next;
        }
    }
    for (auto& c : finished) c->thread.join();
}

void SiteServer::accept_loop() {
    for (;;) {
        reap_finished();
        if (!ready(listener_.get(), POLLIN, stop_fd_.get(), deadline_in(1h))) {
            if (stopping_.load()) return;
            continue;  // an hour without a connection
        }
        const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue;  // EAGAIN, or a connection reset while queued
        accepted_.fetch_add(1);
        open_.fetch_add(1);
        auto connection = std::make_unique<Connection>();
        Connection& ref = *connection;
        {
            const std::lock_guard lock(mutex_);
            connections_.push_back(std::move(connection));
        }
        ref.thread = std::thread([this, &ref, fd] {
            serve(Fd(fd));
            open_.fetch_sub(1);
            ref.done.store(true);
        });
    }
}

void SiteServer::serve(Fd fd) {
    std::vector<char> buffer(64 * 1024);
    std::string prefix;  // the stream's first bytes, until they cannot be kResetRequest
    bool decided = false;
    const int stop = stop_fd_.get();
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
        if (n == 0) {
            (void)::shutdown(fd.get(), SHUT_WR);
            ended_eof_.fetch_add(1);
            return;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (ready(fd.get(), POLLIN, stop, deadline_in(kQuiet))) continue;
                ended_other_.fetch_add(1);
                return;
            }
            (errno == ECONNRESET ? ended_reset_ : ended_other_).fetch_add(1);
            return;
        }
        const auto got = static_cast<std::size_t>(n);
        received_.fetch_add(got);
        if (!decided) {
            prefix.append(buffer.data(), std::min(got, kResetRequest.size() - prefix.size()));
            if (prefix == kResetRequest) {
                set_reset_on_close(fd.get());
                resets_sent_.fetch_add(1);
                return;  // the Fd closes: RST
            }
            decided = !kResetRequest.starts_with(prefix);
        }
        std::string_view left(buffer.data(), got);
        while (!left.empty()) {
            const ssize_t w = ::send(fd.get(), left.data(), left.size(), MSG_NOSIGNAL);
            if (w > 0) {
                sent_.fetch_add(static_cast<std::uint64_t>(w));
                left.remove_prefix(static_cast<std::size_t>(w));
                continue;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
                ready(fd.get(), POLLOUT, stop, deadline_in(kQuiet)))
                continue;
            (w < 0 && (errno == ECONNRESET || errno == EPIPE) ? ended_reset_ : ended_other_)
                .fetch_add(1);
            return;
        }
    }
}

}  // namespace lb::test::soak
