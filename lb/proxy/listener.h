// One listener on one worker's loop: a listening socket opened by open_listen_socket(), watched
// with one uv_poll_t, accepted with accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) in batches, each
// client handed to the worker as a raw fd (no libuv handle per connection). Out of fds
// (EMFILE, ENFILE), it frees a reserve fd to accept and close the pending clients, as libuv
// does, instead of spinning on a queue it cannot drain.
#pragma once

#include <uv.h>

#include <cstddef>
#include <string>

#include "config/socket_address.h"
#include "lb/base/uv_handle.h"

namespace lb {

class ListenerEvents {
public:
    // A client was accepted: `fd` is non-blocking and close-on-exec, and the callee owns it.
    virtual void on_client_accepted(std::size_t listener_index, int fd) noexcept = 0;
    // accept() failed (EMFILE, ENOBUFS, ...): count and log at a bounded rate.
    virtual void on_accept_error(std::size_t listener_index, int status) noexcept = 0;

protected:
    ~ListenerEvents() = default;
};

class Listener {
public:
    Listener(ListenerEvents& events, std::size_t index, std::string name, SocketAddress bind)
        : events_(events), index_(index), name_(std::move(name)), bind_(bind) {}
    ~Listener() { close(); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Takes ownership of `fd` (closed by close(), or here on failure). Returns a libuv status.
    [[nodiscard]] int start(uv_loop_t* loop, int fd);
    // Stops accepting and closes the socket. Idempotent.
    void close() noexcept;
    [[nodiscard]] bool open() const { return fd_ >= 0; }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const SocketAddress& bind() const { return bind_; }
    // A reload may reorder the listeners: the index reported with each client follows.
    void set_index(std::size_t index) { index_ = index; }

private:
    static void on_readable(uv_poll_t* poll, int status, int events) noexcept;
    void accept_batch() noexcept;
    // EMFILE/ENFILE: accept and close what is pending, with the reserve fd freed for it. False
    // if there was no reserve fd to free.
    [[nodiscard]] bool shed_pending() noexcept;
    void restore_reserve() noexcept;
    // Stops watching the socket for a moment (out of fds, nothing to shed with).
    void pause() noexcept;
    static void on_resume(uv_timer_t* timer) noexcept;

    ListenerEvents& events_;
    std::size_t index_;
    std::string name_;
    SocketAddress bind_;
    int fd_ = -1;
    uv_loop_t* loop_ = nullptr;
    UvHandle<uv_poll_t> poll_;
    UvHandle<uv_timer_t> resume_timer_;  // made on the first pause()
};

}  // namespace lb
