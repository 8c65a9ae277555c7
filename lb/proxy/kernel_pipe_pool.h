// Kernel pipes for zero-copy forwarding (splice(2) moves socket → pipe → socket without copying
// through user space). A session leases a pipe only while bytes sit in it, so idle sessions hold
// none; empty pipes go back to a per-worker pool, saving two syscalls per lease.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace lb {

struct KernelPipe {
    int read_fd = -1;
    int write_fd = -1;
    std::uint32_t capacity = 64 * 1024;  // bytes it holds at most (F_GETPIPE_SZ)
};

// Pipes are enlarged to this (kernel memory, held only while bytes are in flight): fewer
// splice calls and wake-ups per byte on bulk transfers.
inline constexpr std::size_t kPipeCapacity = 256 * 1024;

class KernelPipePool {
public:
    explicit KernelPipePool(std::size_t max_free = 256) : max_free_(max_free) {
        free_.reserve(max_free_);
    }
    ~KernelPipePool();
    KernelPipePool(const KernelPipePool&) = delete;
    KernelPipePool& operator=(const KernelPipePool&) = delete;

    // nullopt when the process is out of fds; errno tells why.
    [[nodiscard]] std::optional<KernelPipe> acquire();
    // Only empty pipes may come back; a pipe with bytes left in it must be discarded.
    void release(KernelPipe pipe) noexcept;
    static void discard(KernelPipe pipe) noexcept;
    // Pipes handed out so far (reused or new).
    [[nodiscard]] std::uint64_t leases() const { return leases_; }

private:
    std::vector<KernelPipe> free_;
    std::size_t max_free_;
    std::uint64_t leases_ = 0;
};

}  // namespace lb
