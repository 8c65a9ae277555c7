// The log lines waiting between the threads that log and the one thread that writes them to
// stderr. Bounded: the bytes queued plus the bytes of the batch being written never exceed the
// capacity; a line that does not fit is dropped whole and counted, never cut. Once a line is
// dropped every later one is too until the writer takes the batch, so the lines lost are one gap
// right after that batch, where the writer reports how many. Pure: no threads, locks or I/O
// (the log writer holds its mutex around every call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lb::log {

class LogBuffer {
public:
    explicit LogBuffer(std::size_t capacity) : capacity_(capacity) {}

    // Queues `line` and a '\n'. False when it does not fit (or lines are being dropped already):
    // the line is counted as dropped.
    [[nodiscard]] bool push(std::string_view line);
    // Moves every queued byte into `out` (what `out` held is discarded; its memory is reused for
    // the next lines) and returns how many lines were dropped right after them. The bytes taken
    // count against the capacity until written().
    [[nodiscard]] std::uint64_t take(std::string& out);
    // The batch last taken is out of the buffer's hands: its bytes no longer count.
    void written() { in_flight_ = 0; }

    // Nothing queued and no dropped lines to report.
    [[nodiscard]] bool empty() const { return queued_.empty() && dropped_pending_ == 0; }
    [[nodiscard]] std::size_t capacity() const { return capacity_; }
    [[nodiscard]] std::size_t queued_bytes() const { return queued_.size(); }
    [[nodiscard]] std::size_t in_flight_bytes() const { return in_flight_; }
    [[nodiscard]] std::uint64_t dropped_total() const { return dropped_total_; }

private:
    std::size_t capacity_;
    std::string queued_;
    std::size_t in_flight_ = 0;
    std::uint64_t dropped_pending_ = 0;  // dropped since the last take()
    std::uint64_t dropped_total_ = 0;
};

}  // namespace lb::log
