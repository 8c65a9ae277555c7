// The data path's own edge-triggered epoll set, nested in the worker's libuv loop through one
// uv_poll_t on its fd. libuv's per-socket watchers cost a connection about a dozen epoll_ctl
// calls (a uv_poll_t on a socket libuv already watches is an ADD that fails with EEXIST, then a
// MOD; every interest change another MOD; a DEL for each watcher at close) and an ioctl per
// socket. Here a socket is added once, for input, output and the peer's FIN, edge-triggered:
// what follows is one epoll_ctl per socket for its whole life, and close(2) takes it out.
//
// Watchers are named by a slot and a generation, never by pointer, so an event that was
// already fetched for a socket closed meanwhile (earlier in the same batch, or while a child
// process still held the fd between fork and exec) is recognised as stale and dropped.
#pragma once

#include <sys/epoll.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "lb/base/uv_handle.h"

namespace lb {

// A socket's readiness as edges have reported it, and as EAGAIN has taken it back.
struct Readiness {
    bool readable = false;  // input, a FIN or an error is waiting
    bool writable = false;  // the send buffer has room (or an error is waiting)
    // The peer's FIN, a reset or an error has come: no further edge will announce it, so the
    // socket stays readable until a read says what it was.
    bool ending = false;
    // ... and it was a FIN alone (EPOLLRDHUP with no error): once a read has emptied the socket,
    // the stream is known to be at its end without one more read to hear 0.
    // Not with urgent data in the stream: a read stops short at its mark, bytes still behind it.
    bool clean_fin = false;
    bool failed = false;  // EPOLLHUP or EPOLLERR was seen
    bool urgent = false;  // EPOLLPRI was seen: TCP urgent data came

    void note(std::uint32_t events) noexcept {
        if (events & EPOLLIN) readable = true;
        if (events & EPOLLOUT) writable = true;
        if (events & EPOLLPRI) urgent = true;
        if (events & EPOLLRDHUP) readable = ending = true;
        if (events & (EPOLLHUP | EPOLLERR)) readable = writable = ending = failed = true;
        clean_fin = (events & EPOLLRDHUP) != 0 ? !failed : clean_fin && !failed;
        if (urgent) clean_fin = false;
    }
};

class ReadinessWatcher {
public:
    // `tag` is what add() was given, so one watcher can tell its sockets apart. `events` 0: a
    // call asked for with defer(), to go on where a bounded round of work stopped.
    virtual void on_ready(int tag, std::uint32_t events) noexcept = 0;

protected:
    ~ReadinessWatcher() = default;
};

class ReadinessSet {
public:
    // A registration: pass it back to remove().
    struct Key {
        static constexpr std::uint32_t kNone = 0xffffffffU;
        std::uint32_t slot = kNone;  // none: remove() and defer() ignore it
        std::uint32_t generation = 0;
    };

    // Events taken in one loop turn; more wait for the next turn (the set stays readable), so a
    // storm (thousands of sessions torn down at once) never keeps the listener and the
    // control messages waiting for more than one short batch.
    static constexpr int kEventsPerTurn = 64;

    ReadinessSet() = default;
    ReadinessSet(const ReadinessSet&) = delete;
    ReadinessSet& operator=(const ReadinessSet&) = delete;
    ~ReadinessSet();

    // Creates the epoll set and starts watching it on `loop`. A libuv status.
    [[nodiscard]] int start(uv_loop_t* loop) noexcept;
    // Stops watching (the loop can then run out of handles). Registered sockets stay registered.
    void stop() noexcept {
        poll_.reset();
        idle_.reset();
    }

    // Watches `fd` edge-triggered for input, output, urgent data and hang-up. Events for it go to
    // `watcher` with `tag` until remove(). A negative errno on failure.
    [[nodiscard]] int add(int fd, ReadinessWatcher& watcher, int tag, Key& key) noexcept;
    // No more events for `key`, which is reset to none; call before (or right after) closing
    // its fd. Costs no syscall: close(2) removes the fd from the set.
    void remove(Key& key) noexcept;
    // Calls the watcher of `key` once more (events 0) before the loop next waits: an edge is
    // reported once, so work left over from a bounded round would otherwise wait for the next.
    void defer(Key key) noexcept;

    [[nodiscard]] std::size_t watched() const noexcept { return watched_; }

private:
    struct Slot {
        ReadinessWatcher* watcher = nullptr;
        int tag = 0;
        std::uint32_t generation = 0;
    };

    static void on_set_ready(uv_poll_t* poll, int status, int events) noexcept;
    static void on_idle(uv_idle_t* idle) noexcept;
    void dispatch() noexcept;
    void notify(Key key, std::uint32_t events) noexcept;

    int epoll_fd_ = -1;
    UvHandle<uv_poll_t> poll_;
    UvHandle<uv_idle_t> idle_;  // runs while deferred_ is not empty
    std::vector<Key> deferred_;
    std::vector<Key> running_;  // deferred_ being served, swapped out so defer() may add
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::size_t watched_ = 0;
};

}  // namespace lb
