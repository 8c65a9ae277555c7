// One writer thread between the log and fd 2. Producers hold the mutex only to append a line (a
// memcpy); the writer holds it only to swap batches, and writes with the mutex released, so a
// blocked write(2) blocks nobody but the writer.
#include "lb/base/log_writer.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "lb/base/assert.h"
#include "lb/base/log_buffer.h"

namespace lb::log {
namespace {

struct Writer {
    std::mutex mutex;
    std::condition_variable wake;     // the writer: lines queued, or stop
    std::condition_variable written;  // flushers: a batch is out, or the writer ended
    LogBuffer buffer{kLogBufferBytes};
    std::thread thread;
    bool running = false;   // lines are queued (a writer thread exists)
    bool stopping = false;  // the writer ends once the buffer is empty
    bool ended = false;     // the writer thread has returned
    std::uint64_t batches_taken = 0;
    std::uint64_t batches_written = 0;
    std::terminate_handler previous_terminate = nullptr;
};

// Never destroyed: a writer stuck in write(2) at exit may outlive main() and static destructors.
Writer& writer() {
    static Writer* const instance = new Writer;
    return *instance;
}

// All of `bytes` to fd 2, waiting while it is full (a non-blocking stderr); gives up on an error
// (closed, EPIPE), since nobody would read the rest.
void write_all(std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(STDERR_FILENO, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd out{STDERR_FILENO, POLLOUT, 0};
            (void)::poll(&out, 1, -1);
            continue;
        }
        return;
    }
}

void run_writer() {
    Writer& w = writer();
    std::string batch;
    std::unique_lock lock(w.mutex);
    for (;;) {
        w.wake.wait(lock, [&] { return !w.buffer.empty() || w.stopping; });
        if (w.buffer.empty()) break;  // stopping, and everything is out
        const std::uint64_t dropped = w.buffer.take(batch);
        ++w.batches_taken;
        lock.unlock();
        write_all(batch);
        if (dropped > 0) {
            const std::string notice = format_event(
                Level::Warning, "log_lines_dropped",
                fmt::format("log: {} lines dropped: stderr was not read fast enough", dropped),
                {{"dropped", std::to_string(dropped)}});
            write_all(notice + "\n");
        }
        lock.lock();
        w.buffer.written();
        ++w.batches_written;
        w.written.notify_all();
    }
    w.ended = true;
    w.written.notify_all();
}

// Waits, with the lock held, until the lines queued now are written (or the writer ended).
bool wait_written(Writer& w, std::unique_lock<std::mutex>& lock,
                  std::chrono::milliseconds timeout) {
    // Queued lines go out in the batch after the one being written now.
    const std::uint64_t target = w.batches_taken + (w.buffer.empty() ? 0 : 1);
    w.wake.notify_one();
    return w.written.wait_for(lock, timeout,
                              [&] { return w.ended || w.batches_written >= target; });
}

[[noreturn]] void on_terminate() {
    // An exception that left a noexcept function while this thread held the mutex (a line that
    // could not be allocated) ends here without unwinding: the mutex is never released, and
    // waiting for it would hang the abort. So: only while it can be had within a moment.
    Writer& w = writer();
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (w.mutex.try_lock()) {
            std::unique_lock lock(w.mutex, std::adopt_lock);
            if (w.running && !w.ended && w.thread.get_id() != std::this_thread::get_id())
                (void)wait_written(w, lock, kExitFlushTimeout);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::terminate_handler previous = w.previous_terminate;
    if (previous != nullptr) previous();
    std::abort();
}

}  // namespace

void start_writer() {
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    if (w.running) return;
    w.stopping = false;
    w.ended = false;
    w.thread = std::thread(run_writer);
    w.running = true;
    w.previous_terminate = std::set_terminate(&on_terminate);
}

void stop_writer(std::chrono::milliseconds timeout) {
    Writer& w = writer();
    std::unique_lock lock(w.mutex);
    if (!w.running || w.stopping) return;
    w.stopping = true;
    w.wake.notify_one();
    if (!w.written.wait_for(lock, timeout, [&] { return w.ended; })) {
        // Stuck in write(2): leave it; the process exits without waiting for it.
        w.thread.detach();
        return;
    }
    lock.unlock();
    w.thread.join();
    lock.lock();
    w.running = false;
    std::set_terminate(w.previous_terminate);
}

void flush(std::chrono::milliseconds timeout) {
    Writer& w = writer();
    std::unique_lock lock(w.mutex);
    if (!w.running || w.ended) return;
    if (w.thread.get_id() == std::this_thread::get_id()) return;
    (void)wait_written(w, lock, timeout);
}

std::uint64_t lines_dropped() {
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    return w.buffer.dropped_total();
}

bool queue_line(std::string_view line) {
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    if (!w.running) return false;
    const bool was_empty = w.buffer.empty();
    (void)w.buffer.push(line);
    // The writer sleeps only on an empty buffer: waking it for every line would cost a futex
    // call per line while it is busy anyway.
    if (was_empty) w.wake.notify_one();
    return true;
}

void check_failed(const char* file, int line, const char* condition) noexcept {
    write(Level::Error,
          fmt::format("{}:{}: internal error: check failed: {}", file, line, condition));
    flush();
    std::abort();
}

}  // namespace lb::log
