#include "lb/base/log_buffer.h"

#include <utility>

namespace lb::log {

bool LogBuffer::push(std::string_view line) {
    const std::size_t needed = line.size() + 1;
    // After a drop nothing more is queued until the writer takes the batch: the lines lost stay
    // one gap, reported in its place, and a short line never slips in after a long one was lost.
    if (dropped_pending_ > 0 || queued_.size() + in_flight_ + needed > capacity_) {
        ++dropped_pending_;
        ++dropped_total_;
        return false;
    }
    queued_.append(line);
    queued_.push_back('\n');
    return true;
}

std::uint64_t LogBuffer::take(std::string& out) {
    out.clear();
    std::swap(out, queued_);
    in_flight_ = out.size();
    return std::exchange(dropped_pending_, 0);
}

}  // namespace lb::log
