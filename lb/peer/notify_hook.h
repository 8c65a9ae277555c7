// Runs [peer] notify with the new role ("MASTER", "BACKUP" or "FAULT") for setups that move
// the address some other way (a cloud API, a routing daemon). Never blocks the loop: the script
// runs as a child with a deadline; past it the child is killed, with whatever it started (its
// own process group). Its exit status is logged. A role change while a script still runs queues
// the newest role only.
#pragma once

#include <uv.h>

#include <optional>
#include <string>

#include "config/duration.h"
#include "lb/base/uv_handle.h"

namespace lb::peer {

class NotifyHook {
public:
    NotifyHook(uv_loop_t* loop, std::string script, Duration deadline = std::chrono::seconds(10))
        : loop_(loop), script_(std::move(script)), deadline_(deadline) {}
    ~NotifyHook();
    NotifyHook(const NotifyHook&) = delete;
    NotifyHook& operator=(const NotifyHook&) = delete;

    void run(const std::string& role);
    [[nodiscard]] bool running() const { return child_ != nullptr; }

private:
    static void on_exit(uv_process_t* process, std::int64_t status, int signal) noexcept;
    static void on_deadline(uv_timer_t* timer) noexcept;
    void start(const std::string& role);

    uv_loop_t* loop_;
    std::string script_;
    Duration deadline_;
    uv_process_t* child_ = nullptr;  // freed by its close callback
    std::string child_role_;
    std::optional<std::string> queued_;
    UvHandle<uv_timer_t> timer_;
};

}  // namespace lb::peer
