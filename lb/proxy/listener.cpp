#include "lb/proxy/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>

namespace lb {
namespace {

// Clients taken per wake-up; more wait for the next loop turn (the socket stays readable), so
// a connection storm on one listener cannot starve the sessions already open.
constexpr int kAcceptBatch = 64;
// How long a listener out of fds, with no reserve fd, stops watching its socket.
constexpr std::uint64_t kPauseMs = 100;

// One spare fd for the whole process (as libuv keeps one): freed to accept and drop clients
// while the process is out of fds, so the accept queue drains instead of waking the loop forever.
std::mutex reserve_mutex;
int reserve_fd = -1;

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

int accept_client(int fd) { return ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }

}  // namespace

int Listener::start(uv_loop_t* loop, int fd) {
    {
        const std::lock_guard lock(reserve_mutex);
        if (reserve_fd < 0) reserve_fd = open_reserve();
    }
    auto* poll = new uv_poll_t;
    if (const int rc = uv_poll_init_socket(loop, poll, fd); rc != 0) {
        delete poll;  // a failed init registered nothing
        ::close(fd);
        return rc;
    }
    fd_ = fd;
    loop_ = loop;
    poll->data = this;
    poll_ = UvHandle<uv_poll_t>(poll);
    const int rc = uv_poll_start(poll, UV_READABLE, &Listener::on_readable);
    if (rc != 0) close();
    return rc;
}

void Listener::close() noexcept {
    resume_timer_.reset();
    poll_.reset();  // stops watching now, so the fd may go
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void Listener::on_readable(uv_poll_t* poll, int status, int) noexcept {
    auto* self = static_cast<Listener*>(poll->data);
    if (self == nullptr) return;  // closed meanwhile
    if (status < 0) {
        self->events_.on_accept_error(self->index_, status);
        return;
    }
    self->accept_batch();
}

void Listener::accept_batch() noexcept {
    for (int i = 0; i < kAcceptBatch && fd_ >= 0; ++i) {
        if (i == 0) restore_reserve();
        const int client = accept_client(fd_);
        if (client >= 0) {
            events_.on_client_accepted(index_, client);
            continue;
        }
        const int error = errno;
        if (error == EINTR || error == ECONNABORTED) continue;
        if (error == EAGAIN || error == EWOULDBLOCK) return;
        if ((error == EMFILE || error == ENFILE) && !shed_pending()) pause();
        events_.on_accept_error(index_, -error);
        return;
    }
}

bool Listener::shed_pending() noexcept {
    const std::lock_guard lock(reserve_mutex);
    if (reserve_fd < 0) return false;
    ::close(reserve_fd);
    reserve_fd = -1;
    for (int i = 0; i < kAcceptBatch; ++i) {
        const int client = accept_client(fd_);
        if (client < 0) break;
        ::close(client);
    }
    // Another thread may have taken the freed number meanwhile: then the next batch tries again.
    reserve_fd = open_reserve();
    return true;
}

void Listener::restore_reserve() noexcept {
    const std::lock_guard lock(reserve_mutex);
    if (reserve_fd < 0) reserve_fd = open_reserve();
}

void Listener::pause() noexcept {
    // Out of fds with no reserve to drain the queue with: the socket stays readable, so stop
    // watching it for a moment rather than spin.
    if (!poll_ || !loop_) return;
    if (!resume_timer_) {
        auto* timer = new uv_timer_t;
        uv_timer_init(loop_, timer);
        timer->data = this;
        resume_timer_ = UvHandle<uv_timer_t>(timer);
    }
    uv_poll_stop(poll_.get());
    uv_timer_start(resume_timer_.get(), &Listener::on_resume, kPauseMs, 0);
}

void Listener::on_resume(uv_timer_t* timer) noexcept {
    auto* self = static_cast<Listener*>(timer->data);
    if (self == nullptr || !self->poll_) return;
    uv_poll_start(self->poll_.get(), UV_READABLE, &Listener::on_readable);
}

}  // namespace lb
