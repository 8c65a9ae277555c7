// The socket is made by hand (socket, bind, chmod, listen) rather than with uv_pipe_bind so that
// every step reports its own error and the stale-socket probe uses the very same address.
#include "lb/admin/admin_server.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb::admin {
namespace {

constexpr int kBacklog = 64;

std::string errno_text(int error) { return std::generic_category().message(error); }

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());  // length checked by the caller
    return addr;
}

// Decides what to do with whatever is already at `path`: nothing there, or a socket nobody
// accepts on (a crashed run), may go; a live socket or any other file must stay.
Result<Ok> clear_stale(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Ok{};
        return Error{fmt::format("cannot check admin socket {}: {}", path, errno_text(errno))};
    }
    if (!S_ISSOCK(st.st_mode))
        return Error{
            fmt::format("admin socket path {} exists and is not a socket; not removing it", path)};
    // Non-blocking: a live instance with a full backlog answers EAGAIN instead of hanging us.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0)
        return Error{fmt::format("cannot check admin socket {}: {}", path, errno_text(errno))};
    const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int error = rc == 0 ? 0 : errno;
    ::close(probe);
    if (rc == 0 || error == EAGAIN || error == EINPROGRESS)
        return Error{fmt::format("admin socket {} is in use by another running instance", path)};
    if (error != ECONNREFUSED)
        return Error{fmt::format("cannot check admin socket {}: {}", path, errno_text(error))};
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return Error{
            fmt::format("cannot remove stale admin socket {}: {}", path, errno_text(errno))};
    log::info("admin: removed stale socket {} (left by an instance that is not running)", path);
    return Ok{};
}

std::string bind_error(const std::string& path, int error) {
    if (error == ENOENT)
        return fmt::format("cannot create admin socket {}: its directory does not exist", path);
    return fmt::format("cannot create admin socket {}: {}", path, errno_text(error));
}

}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, CommandHandler& handler, AdminLimits limits)
    : loop_(loop), handler_(handler), limits_(limits) {}

AdminServer::~AdminServer() { stop(); }

Result<Ok> AdminServer::start(const config::Admin& settings) {
    const auto slash = settings.socket.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        const std::string dir = settings.socket.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return Error{fmt::format("admin socket directory {}: {}", dir, errno_text(errno))};
    }
    return start(settings.socket, settings.mode);
}

Result<Ok> AdminServer::start(const std::string& path, unsigned mode) {
    if (listening()) return Error{fmt::format("admin socket already listening on {}", path_)};
    sockaddr_un addr{};
    if (path.empty()) return Error{"admin socket path is empty"};
    if (path.size() >= sizeof addr.sun_path)
        return Error{fmt::format("admin socket path {} is too long (at most {} bytes)", path,
                                 sizeof addr.sun_path - 1)};
    addr = unix_address(path);
    if (auto cleared = clear_stale(path, addr); !cleared.ok()) return cleared;

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error{fmt::format("cannot create admin socket {}: {}", path, errno_text(errno))};
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int error = errno;
        ::close(fd);
        return Error{bind_error(path, error)};
    }
    // From here the file is ours: every failure removes it again.
    const auto fail = [&](std::string message) -> Result<Ok> {
        ::unlink(path.c_str());
        return Error{std::move(message)};
    };
    struct stat st {};
    if (::chmod(path.c_str(), mode & 07777) != 0 || ::lstat(path.c_str(), &st) != 0) {
        const int error = errno;
        ::close(fd);
        return fail(fmt::format("cannot set mode {:04o} on admin socket {}: {}", mode, path,
                                errno_text(error)));
    }
    auto* pipe = new uv_pipe_t;
    if (const int rc = uv_pipe_init(loop_, pipe, 0); rc != 0) {
        delete pipe;  // a failed init registered nothing
        ::close(fd);
        return fail(fmt::format("cannot listen on admin socket {}: {}", path, uv_error_text(rc)));
    }
    listener_ = UvHandle<uv_pipe_t>(pipe);
    if (const int rc = uv_pipe_open(pipe, fd); rc != 0) {
        ::close(fd);
        listener_.reset();
        return fail(fmt::format("cannot listen on admin socket {}: {}", path, uv_error_text(rc)));
    }
    pipe->data = this;
    const int rc =
        uv_listen(reinterpret_cast<uv_stream_t*>(pipe), kBacklog, &AdminServer::on_connection);
    if (rc != 0) {
        listener_.reset();  // closes fd with the handle
        return fail(fmt::format("cannot listen on admin socket {}: {}", path, uv_error_text(rc)));
    }
    // Idle clients are swept once a second (each has its own timeout, see AdminLimits).
    auto* sweep = new uv_timer_t;
    if (uv_timer_init(loop_, sweep) != 0) {
        delete sweep;
    } else {
        sweep->data = this;
        sweep_timer_ = UvHandle<uv_timer_t>(sweep);
        uv_timer_start(sweep, &AdminServer::on_sweep, 1000, 1000);
    }
    path_ = path;
    device_ = st.st_dev;
    inode_ = st.st_ino;
    log::info("admin: listening on {} (mode {:04o})", path, mode & 07777);
    return Ok{};
}

void AdminServer::stop() noexcept {
    listener_.reset();
    sweep_timer_.reset();
    connections_->close_all();  // each leaves the table from its close callback
    if (path_.empty()) return;
    // Unlink only our own file: another instance may have replaced it since.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_)
        ::unlink(path_.c_str());
    path_.clear();
}

void AdminServer::on_sweep(uv_timer_t* timer) noexcept {
    auto* self = static_cast<AdminServer*>(timer->data);
    if (self == nullptr) return;
    self->connections_->for_each([](AdminConnection& c) { c.close_if_idle(); });
}

void AdminServer::on_connection(uv_stream_t* listener, int status) noexcept {
    auto* self = static_cast<AdminServer*>(listener->data);
    if (self == nullptr) return;  // stopped meanwhile
    if (status < 0) {
        log::warning("admin: accept failed: {}", uv_error_text(status));
        return;
    }
    const bool refuse = self->connections_->size() >= self->limits_.max_connections;
    if (refuse) log::warning("admin: too many clients (at most {})", self->limits_.max_connections);
    auto connection =
        std::make_unique<AdminConnection>(self->connections_, self->handler_, self->limits_);
    if (connection->accept_from(listener, refuse)) self->connections_->adopt(std::move(connection));
}

}  // namespace lb::admin
