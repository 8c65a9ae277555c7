// Fixed-size forwarding buffers for one worker. A pipe holds a buffer only while bytes are in
// flight, so an idle session holds none; freed blocks are kept for reuse up to a cap, so the
// steady state allocates nothing per packet. Single-threaded: one pool per worker loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lb {

class BufferPool {
public:
    static constexpr std::size_t kBlockSize = 64 * 1024;

    explicit BufferPool(std::size_t max_free_blocks = 256) : max_free_(max_free_blocks) {
        free_.reserve(max_free_);  // release() never allocates
    }

    [[nodiscard]] char* acquire();
    void release(char* block) noexcept;

    [[nodiscard]] std::size_t in_use() const { return in_use_; }
    [[nodiscard]] std::size_t free_blocks() const { return free_.size(); }
    // Blocks handed out so far (reused or new).
    [[nodiscard]] std::uint64_t leases() const { return leases_; }

private:
    std::vector<std::unique_ptr<char[]>> free_;
    std::size_t max_free_;
    std::size_t in_use_ = 0;
    std::uint64_t leases_ = 0;
};

}  // namespace lb
