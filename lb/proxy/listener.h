// One listener on one worker's loop: wraps a listening socket opened by open_listen_socket() and
// hands every pending client to the worker. libuv accepts in a loop until EAGAIN per wake-up
// and, on EMFILE, sheds connections with its reserve fd instead of spinning.
#pragma once

#include <uv.h>

#include <cstddef>
#include <string>

#include "config/socket_address.h"
#include "lb/base/uv_handle.h"

namespace lb {

class ListenerEvents {
public:
    // A client is pending on `server`: the callee must uv_accept it (or close it) now.
    virtual void on_client_pending(std::size_t listener_index, uv_stream_t* server) noexcept = 0;
    // accept() failed (EMFILE, ENOBUFS, ...): count and log at a bounded rate.
    virtual void on_accept_error(std::size_t listener_index, int status) noexcept = 0;

protected:
    ~ListenerEvents() = default;
};

class Listener {
public:
    Listener(ListenerEvents& events, std::size_t index, std::string name, SocketAddress bind)
        : events_(events), index_(index), name_(std::move(name)), bind_(bind) {}
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Takes ownership of `fd` (closed by the handle, or here on failure). Returns a libuv status.
    [[nodiscard]] int start(uv_loop_t* loop, int fd);
    // Stops accepting; the socket closes once the loop runs the close callback.
    void close() noexcept { handle_.reset(); }
    [[nodiscard]] bool open() const { return static_cast<bool>(handle_); }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const SocketAddress& bind() const { return bind_; }
    // A reload may reorder the listeners: the index reported with each client follows.
    void set_index(std::size_t index) { index_ = index; }

private:
    static void on_connection(uv_stream_t* server, int status) noexcept;

    ListenerEvents& events_;
    std::size_t index_;
    std::string name_;
    SocketAddress bind_;
    UvHandle<uv_tcp_t> handle_;
};

}  // namespace lb
