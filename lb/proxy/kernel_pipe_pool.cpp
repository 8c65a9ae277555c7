#include "lb/proxy/kernel_pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace lb {

KernelPipePool::~KernelPipePool() {
    for (const KernelPipe& pipe : free_) discard(pipe);
}

std::optional<KernelPipe> KernelPipePool::acquire() {
    if (!free_.empty()) {
        ++leases_;
        const KernelPipe pipe = free_.back();
        free_.pop_back();
        return pipe;
    }
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    // Best effort: an unprivileged process may be capped by /proc/sys/fs/pipe-max-size.
    (void)::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kPipeCapacity));
    const int size = ::fcntl(fds[1], F_GETPIPE_SZ);
    ++leases_;
    return KernelPipe{fds[0], fds[1], size > 0 ? static_cast<std::uint32_t>(size) : 64 * 1024};
}

void KernelPipePool::release(KernelPipe pipe) noexcept {
    if (free_.size() < max_free_)
        free_.push_back(pipe);
    else
        discard(pipe);
}

void KernelPipePool::discard(KernelPipe pipe) noexcept {
    if (pipe.read_fd >= 0) ::close(pipe.read_fd);
    if (pipe.write_fd >= 0) ::close(pipe.write_fd);
}

}  // namespace lb
