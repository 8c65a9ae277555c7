// Tells the service manager (systemd, `Type=notify`) where lb is in its life: ready once every
// listener accepts, reloading while a new config is applied, stopping during a drain, and a
// one-line status for `systemctl status`. Without $NOTIFY_SOCKET (not started by systemd) each
// call does nothing, so lb runs the same under any supervisor or none.
#pragma once

#include <string_view>

namespace lb::service_notify {

// READY=1: the listeners are bound and accepting, so `systemctl start` may return.
void ready(std::string_view status);
// RELOADING=1 with MONOTONIC_USEC: a reload began; ready() must follow when it ends, applied or
// rejected (systemd keeps the unit "reloading" until then).
void reloading(std::string_view status);
// STOPPING=1: a stop or drain began.
void stopping(std::string_view status);
// STATUS=: what `systemctl status` shows under the unit's name.
void status(std::string_view status);

}  // namespace lb::service_notify
