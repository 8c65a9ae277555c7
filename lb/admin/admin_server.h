// The admin socket: a Unix stream socket at a path, one command per line, each reply ending
// with an empty line. It never steals the socket of a running instance, and removes only the
// file it created itself. Lives on the main loop's thread, like the handler it calls.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <memory>
#include <string>

#include "lb/admin/admin_connection.h"
#include "config/config.h"
#include "lb/admin/command_handler.h"
#include "lb/base/result.h"
#include "lb/base/uv_handle.h"

namespace lb::admin {

class AdminServer {
public:
    // `loop` and `handler` must outlive the server; every call happens on the loop's thread.
    AdminServer(uv_loop_t* loop, CommandHandler& handler, AdminLimits limits = {});
    // stop(). Connections still closing are freed by their close callbacks, so the loop must
    // run on afterwards (as it must for any handle).
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    // Creates the socket at `path` with permission bits `mode` (e.g. 0660, applied with chmod
    // after bind) and listens. The parent directory must exist. A stale socket file (nobody
    // accepts on it) is replaced; a live one, or a file that is not a socket, is an error and is
    // left alone. The error is one line for the operator.
    [[nodiscard]] Result<Ok> start(const std::string& path, unsigned mode = 0660);
    // The same at [admin] socket and mode, making the socket's directory first when it is
    // missing (systemd's RuntimeDirectory= usually makes /run/lb; not when run by hand).
    [[nodiscard]] Result<Ok> start(const config::Admin& settings);

    // Closes the listener and every connection (pending replies are dropped) and removes the
    // socket file if it is still the one start() created. Idempotent; the handles finish
    // closing when the loop next runs.
    void stop() noexcept;

    [[nodiscard]] bool listening() const { return static_cast<bool>(listener_); }
    // Connections whose handle is not closed yet.
    [[nodiscard]] std::size_t connection_count() const { return connections_->size(); }

private:
    static void on_connection(uv_stream_t* listener, int status) noexcept;
    static void on_sweep(uv_timer_t* timer) noexcept;

    uv_loop_t* loop_;
    CommandHandler& handler_;
    AdminLimits limits_;
    UvHandle<uv_pipe_t> listener_;
    UvHandle<uv_timer_t> sweep_timer_;
    // Outlives the server until the last connection's close callback (lb/base/handle_table.h).
    std::shared_ptr<AdminConnection::Table> connections_ = AdminConnection::Table::create();
    std::string path_;  // set while we own a socket file there
    dev_t device_ = 0;  // identity of that file, so stop() never unlinks another instance's
    ino_t inode_ = 0;
};

}  // namespace lb::admin
