// One client of the admin socket. Replies leave in command order even when one comes later
// (sessions, reload): each command takes a slot in a queue, written out once every earlier slot
// is. Memory is bounded: lines by kMaxLineBytes, output by AdminLimits (over it: closed).
#pragma once

#include <uv.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "config/duration.h"
#include "lb/admin/command_handler.h"
#include "lb/base/handle_table.h"

namespace lb::admin {

struct AdminLimits {
    // Reply bytes queued or being written on one connection; a client that does not read its
    // replies past this is disconnected.
    std::size_t max_output_bytes = std::size_t{1} << 20;
    // Commands waiting for a later reply (show sessions, reload) on one connection; more get an
    // error reply instead of another pending call.
    std::size_t max_waiting_replies = 16;
    // Clients at once; one more is told so and closed.
    std::size_t max_connections = 32;
    // A client with nothing in flight for this long is disconnected (HAProxy's `stats
    // timeout`, 10 s by default there; a client changes its own with `set timeout cli`).
    Duration idle_timeout = std::chrono::seconds(60);
};

// Owned by its server's table (lb/base/handle_table.h); the pipe's close callback erases it,
// after libuv has run every cancelled write callback.
class AdminConnection {
public:
    using Table = HandleTable<AdminConnection>;

    // One client of the server owning `table`. `handler` is called only while the connection is
    // not closing, so it need only outlive the server.
    AdminConnection(std::shared_ptr<Table> table, CommandHandler& handler,
                    const AdminLimits& limits);
    AdminConnection(const AdminConnection&) = delete;
    AdminConnection& operator=(const AdminConnection&) = delete;

    // Takes the client pending on `listener` (on the listener's loop thread). False: nothing was
    // registered, destroy it directly. True: adopt it into the table, even if it is already
    // closing. `refuse`: tell the client there are too many connections, then close.
    [[nodiscard]] bool accept_from(uv_stream_t* listener, bool refuse);
    // Closes at once, dropping unsent replies and any reply still to come. Idempotent.
    void close() noexcept;
    // Closes the connection if it has had nothing in flight for longer than its idle timeout.
    void close_if_idle() noexcept;

    [[nodiscard]] Table::Id id() const { return id_; }

private:
    struct Slot {
        std::uint64_t seq = 0;
        bool ready = false;
        bool prompt = false;  // interactive mode when the command came: "> " after the reply
        std::string text;     // framed: body, the terminating empty line, the prompt
    };
    struct WriteRequest {
        uv_write_t req{};
        std::string data;
    };

    static void on_alloc(uv_handle_t* handle, std::size_t size, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_written(uv_write_t* req, int status) noexcept;
    static void on_closed(uv_handle_t* handle) noexcept;

    [[nodiscard]] uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&pipe_); }
    void consume(std::string_view data);
    void run_line();
    void run_command(std::string_view text);
    void on_eof();
    [[nodiscard]] std::uint64_t open_slot();
    void complete(std::uint64_t seq, std::string_view body);
    void reply_now(std::string_view body) { complete(open_slot(), body); }
    void flush();
    void write(std::string text);
    void finish_if_done();

    const std::shared_ptr<Table> table_;  // kept alive until on_closed erased us from it
    const Table::Id id_;
    CommandHandler& handler_;
    AdminLimits limits_;
    uv_pipe_t pipe_{};
    std::array<char, 16384> read_buffer_{};  // one read in flight per stream
    std::string line_;                       // the line being received, at most kMaxLineBytes+1
    bool discarding_ = false;                // skipping the rest of an over-long line
    bool read_eof_ = false;                  // the client sent FIN (socat): reply, then close
    bool quit_ = false;                      // `quit` or refused: no more commands
    // HAProxy's modes: non-interactive (the default) closes once every command received is
    // answered; `prompt` toggles interactive mode, which keeps the connection and prompts.
    bool interactive_ = false;
    bool answered_ = false;  // a reply was completed (non-interactive: the end is near)
    Duration idle_timeout_;
    std::uint64_t last_activity_ms_ = 0;  // uv_now of the last byte in or reply out
    bool closing_ = false;
    std::deque<Slot> slots_;
    std::uint64_t next_seq_ = 0;
    std::size_t waiting_ = 0;       // slots not ready yet
    std::size_t output_bytes_ = 0;  // ready slots plus writes in flight
    std::size_t writes_in_flight_ = 0;
};

}  // namespace lb::admin
