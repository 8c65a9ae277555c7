// The log's writer thread: while it runs, log lines from any thread go into a bounded LogBuffer
// and this thread alone writes them to stderr, so a log reader that stalls (journald busy, a pipe
// nobody reads) never blocks a worker: when the buffer is full a line is dropped and counted
// (lb_log_lines_dropped_total), and once writing resumes one warning says how many were lost.
// Without it (lb check, lb ctl, tests in process) every line is one write(2) of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "lb/base/logger.h"

namespace lb::log {

// What the log may hold in memory for a reader that is slower than lb: queued lines plus the
// batch being written. 512 KiB is some 3,500 tcplog connection lines (~150 bytes) or 1,500 JSON
// ones (~350): a second or more of a busy balancer's log on top of the 64 KiB a pipe to journald
// holds, for a reader that is busy for a moment; a reader stalled for longer loses lines rather
// than growing lb's memory. (Two strings trade places, so up to twice this is allocated.)
inline constexpr std::size_t kLogBufferBytes = 512 * 1024;

// How long exit waits for buffered lines to reach stderr: long enough for any reader that is
// reading, short enough that a stalled one cannot hold up a stop or restart.
inline constexpr std::chrono::milliseconds kExitFlushTimeout{2000};

// Starts the writer thread; from now on write_raw() queues. Main thread, once, before the
// threads that log start. Installs a std::terminate handler that flushes first.
void start_writer();
// Writes out what is queued (waiting at most `timeout`), stops the writer thread, and returns
// lines to one write(2) each. A writer stuck in write(2) past the timeout is left behind (the
// process is about to exit; lines logged afterwards are queued behind it). Main thread.
void stop_writer(std::chrono::milliseconds timeout = kExitFlushTimeout);
// Waits until every line queued before the call has been written, at most `timeout`. Any
// thread but the writer's (a fatal error flushes before abort()).
void flush(std::chrono::milliseconds timeout = kExitFlushTimeout);
// Lines dropped because the buffer was full, since the start (any thread).
[[nodiscard]] std::uint64_t lines_dropped();

// For logger.cpp: queues a complete line (no '\n'); false when no writer runs, and the caller
// writes it itself.
[[nodiscard]] bool queue_line(std::string_view line);
// For the writer: one line of the log's shape (text or JSON) with event name `name`, as
// logger.cpp formats them.
[[nodiscard]] std::string format_event(Level level, std::string_view name, std::string_view message,
                                       std::initializer_list<Field> fields = {});

// Runs stop_writer() when it goes out of scope: `lb run` and `lb arbiter` hold one for their
// whole life, so the lines of the last moments (and of a failed start) reach stderr before the
// process exits.
class WriterScope {
public:
    WriterScope() { start_writer(); }
    ~WriterScope() { stop_writer(); }
    WriterScope(const WriterScope&) = delete;
    WriterScope& operator=(const WriterScope&) = delete;
};

}  // namespace lb::log
