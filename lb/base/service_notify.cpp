#include "lb/base/service_notify.h"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <ctime>
#include <string>

#include "lb/base/logger.h"

namespace lb::service_notify {
namespace {

// STATUS= ends at the first newline: one line of status, whatever the caller passed.
std::string one_line(std::string_view text) { return std::string(text.substr(0, text.find('\n'))); }

void send(const std::string& message) {
    // unset_environment = 0: a later reload or stop notifies too. The unit's NotifyAccess=main
    // keeps what lb's children (the peers' notify script) might send from counting.
    const int rc = sd_notify(0, message.c_str());
    if (rc < 0) log::warning("cannot notify the service manager: {}", std::strerror(-rc));
}

}  // namespace

void ready(std::string_view status) { send(fmt::format("READY=1\nSTATUS={}", one_line(status))); }

void reloading(std::string_view status) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", usec, one_line(status)));
}

void stopping(std::string_view status) {
    send(fmt::format("STOPPING=1\nSTATUS={}", one_line(status)));
}

void status(std::string_view status) { send(fmt::format("STATUS={}", one_line(status))); }

}  // namespace lb::service_notify
