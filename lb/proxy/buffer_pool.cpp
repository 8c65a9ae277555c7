#include "lb/proxy/buffer_pool.h"

namespace lb {

char* BufferPool::acquire() {
    ++in_use_;
    ++leases_;
    if (free_.empty()) return new char[kBlockSize];
    char* block = free_.back().release();
    free_.pop_back();
    return block;
}

void BufferPool::release(char* block) noexcept {
    if (block == nullptr) return;
    --in_use_;
    if (free_.size() < max_free_) {
        free_.emplace_back(block);
    } else {
        delete[] block;
    }
}

}  // namespace lb
