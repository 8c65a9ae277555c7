#include "lb/proxy/readiness_set.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb {
namespace {

std::uint64_t pack(ReadinessSet::Key key) {
    return (static_cast<std::uint64_t>(key.generation) << 32) | key.slot;
}

}  // namespace

ReadinessSet::~ReadinessSet() {
    poll_.reset();
    idle_.reset();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int ReadinessSet::start(uv_loop_t* loop) noexcept {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return -errno;
    auto* poll = new uv_poll_t;
    if (const int rc = uv_poll_init(loop, poll, epoll_fd_); rc != 0) {
        delete poll;  // a failed init registered nothing
        return rc;
    }
    poll->data = this;
    poll_ = UvHandle<uv_poll_t>(poll);
    auto* idle = new uv_idle_t;
    if (const int rc = uv_idle_init(loop, idle); rc != 0) {
        delete idle;
        return rc;
    }
    idle->data = this;
    idle_ = UvHandle<uv_idle_t>(idle);
    return uv_poll_start(poll, UV_READABLE, &ReadinessSet::on_set_ready);
}

int ReadinessSet::add(int fd, ReadinessWatcher& watcher, int tag, Key& key) noexcept {
    std::uint32_t slot = 0;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    Slot& s = slots_[slot];
    s.watcher = &watcher;
    s.tag = tag;
    key = Key{slot, s.generation};
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
    event.data.u64 = pack(key);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
        const int error = errno;
        s.watcher = nullptr;  // not counted in watched_: undo by hand
        ++s.generation;
        free_slots_.push_back(slot);
        key = Key{};
        return -error;
    }
    ++watched_;
    return 0;
}

void ReadinessSet::remove(Key& key) noexcept {
    const Key old = std::exchange(key, Key{});
    if (old.slot >= slots_.size()) return;
    Slot& s = slots_[old.slot];
    if (s.generation != old.generation || s.watcher == nullptr) return;
    if (watched_ > 0) --watched_;
    s.watcher = nullptr;
    ++s.generation;  // events already fetched for the old key are now stale
    free_slots_.push_back(old.slot);
}

void ReadinessSet::defer(Key key) noexcept {
    if (deferred_.empty() && idle_) uv_idle_start(idle_.get(), &ReadinessSet::on_idle);
    deferred_.push_back(key);
}

void ReadinessSet::on_idle(uv_idle_t* idle) noexcept {
    auto* self = static_cast<ReadinessSet*>(idle->data);
    if (self == nullptr) return;
    self->running_.swap(self->deferred_);
    if (self->deferred_.empty()) uv_idle_stop(idle);
    for (const Key key : self->running_) self->notify(key, 0);
    self->running_.clear();
}

void ReadinessSet::notify(Key key, std::uint32_t events) noexcept {
    // Looked up afresh for every call: an earlier one may have removed it.
    if (key.slot >= slots_.size()) return;
    const Slot& s = slots_[key.slot];
    if (s.generation != key.generation || s.watcher == nullptr) return;
    s.watcher->on_ready(s.tag, events);
}

void ReadinessSet::on_set_ready(uv_poll_t* poll, int status, int) noexcept {
    auto* self = static_cast<ReadinessSet*>(poll->data);
    if (self == nullptr) return;
    if (status < 0) {
        log::error("data path: the sockets' epoll set failed: {}", uv_error_text(status));
        return;
    }
    self->dispatch();
}

void ReadinessSet::dispatch() noexcept {
    std::array<epoll_event, kEventsPerTurn> events{};
    const int n = ::epoll_wait(epoll_fd_, events.data(), kEventsPerTurn, 0);
    for (int i = 0; i < n; ++i) {
        const epoll_event& event = events[static_cast<std::size_t>(i)];
        notify(Key{static_cast<std::uint32_t>(event.data.u64 & 0xffffffffU),
                   static_cast<std::uint32_t>(event.data.u64 >> 32)},
               event.events);
    }
}

}  // namespace lb
