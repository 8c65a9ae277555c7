#include "lb/peer/notify_hook.h"

#include <signal.h>

#include <csignal>
#include <utility>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb::peer {
namespace {

// The script runs in a process group of its own (UV_PROCESS_DETACHED: setsid), so a kill reaches
// what it started too (a `sleep`, a curl), not just the shell.
void kill_group(uv_process_t* child) {
    if (child->pid > 0 && ::kill(-child->pid, SIGKILL) == 0) return;
    (void)uv_process_kill(child, SIGKILL);
}

}  // namespace

NotifyHook::~NotifyHook() {
    if (child_ != nullptr) {
        child_->data = nullptr;  // the exit callback finds no owner
        kill_group(child_);
        uv_close(reinterpret_cast<uv_handle_t*>(child_),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_process_t*>(handle); });
    }
}

void NotifyHook::run(const std::string& role) {
    if (script_.empty()) return;
    if (child_ != nullptr) {
        queued_ = role;  // the newest role wins; older queued ones are moot
        return;
    }
    start(role);
}

void NotifyHook::start(const std::string& role) {
    auto* process = new uv_process_t;
    std::string file = script_;
    std::string argument = role;
    char* args[] = {file.data(), argument.data(), nullptr};
    uv_process_options_t options{};
    options.file = file.c_str();
    options.args = args;
    options.exit_cb = &NotifyHook::on_exit;
    options.flags = UV_PROCESS_DETACHED;  // its own process group: see kill_group()
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;  // its output goes where lb's goes (the journal)
    stdio[1].data.fd = 2;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    options.stdio = stdio;
    options.stdio_count = 3;
    if (const int rc = uv_spawn(loop_, process, &options); rc != 0) {
        // libuv registered the handle even on failure: it must be closed, not deleted.
        uv_close(reinterpret_cast<uv_handle_t*>(process),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_process_t*>(handle); });
        log::warning("peer: notify script {} {} could not start: {}", script_, role,
                     uv_error_text(rc));
        return;
    }
    process->data = this;
    child_ = process;
    child_role_ = role;
    if (!timer_) {
        auto* timer = new uv_timer_t;
        uv_timer_init(loop_, timer);
        timer->data = this;
        timer_ = UvHandle<uv_timer_t>(timer);
    }
    uv_timer_start(timer_.get(), &NotifyHook::on_deadline,
                   static_cast<std::uint64_t>(deadline_.count()), 0);
}

void NotifyHook::on_deadline(uv_timer_t* timer) noexcept {
    auto* self = static_cast<NotifyHook*>(timer->data);
    if (self == nullptr || self->child_ == nullptr) return;
    log::warning("peer: notify script {} {} still running after {} ms; killing it", self->script_,
                 self->child_role_, self->deadline_.count());
    kill_group(self->child_);
}

void NotifyHook::on_exit(uv_process_t* process, std::int64_t status, int signal) noexcept {
    auto* self = static_cast<NotifyHook*>(process->data);
    uv_close(reinterpret_cast<uv_handle_t*>(process),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_process_t*>(handle); });
    if (self == nullptr) return;
    self->child_ = nullptr;
    if (self->timer_) uv_timer_stop(self->timer_.get());
    if (signal != 0) {
        log::warning("peer: notify script {} {} killed by signal {}", self->script_,
                     self->child_role_, signal);
    } else if (status != 0) {
        log::warning("peer: notify script {} {} exited with status {}", self->script_,
                     self->child_role_, status);
    } else {
        log::info("peer: notify script {} {} done", self->script_, self->child_role_);
    }
    if (self->queued_) {
        const std::string next = *std::exchange(self->queued_, std::nullopt);
        self->start(next);
    }
}

}  // namespace lb::peer
