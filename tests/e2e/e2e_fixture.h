// Shared setup for the data-path end-to-end tests: one lb with a listener "front" on
// 127.0.0.1:<free port> in front of site-a (127.0.0.2, primary) and site-b (127.0.0.3, standby).
#pragma once

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "tests/support/lb_process.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test {

using namespace std::chrono_literals;

inline constexpr const char* kClientIp = "127.0.0.1";
inline constexpr const char* kSiteA = "127.0.0.2";
inline constexpr const char* kSiteB = "127.0.0.3";
inline constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

struct Front {
    std::string ip = kClientIp;
    std::uint16_t port = 0;
};

[[nodiscard]] inline Front free_front(const std::string& ip = kClientIp) {
    return Front{ip, free_port(ip)};
}

// site-a at `site_a_address` is the primary; every site serves the listener on `target_port`.
[[nodiscard]] inline LbConfig front_config(const Front& front, std::uint16_t target_port,
                                           const std::string& site_a_address = kSiteA) {
    LbConfig config;
    config.sites = {{"site-a", site_a_address, "primary"}, {"site-b", kSiteB, "standby"}};
    config.listeners = {{"front", endpoint(front.ip, front.port), target_port}};
    return config;
}

// Waits for `lb`'s "ready: " line; fails the test (with the config and the log) otherwise.
[[nodiscard]] inline std::unique_ptr<LbProcess> require_ready(std::unique_ptr<LbProcess> lb) {
    const bool ready = lb->wait_ready(deadline_in(10s));
    INFO("config:\n" << lb->config_text());
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(ready);
    return lb;
}

// Starts lb in a directory of its own and waits until it is ready (REQUIREd).
[[nodiscard]] inline std::unique_ptr<LbProcess> start_lb(const LbConfig& config,
                                                         const SpawnOptions& options = {}) {
    return require_ready(std::make_unique<LbProcess>(config, options));
}

// Starts lb on `workspace`'s lb.toml as it is now (a first start or a restart on the same
// files) and waits until it is ready (REQUIREd).
[[nodiscard]] inline std::unique_ptr<LbProcess> start_lb(LbWorkspace& workspace) {
    return require_ready(std::make_unique<LbProcess>(workspace));
}

[[nodiscard]] inline Fd connect_front(const Front& front) {
    int error = 0;
    Fd fd = connect_tcp(front.ip, front.port, deadline_in(3s), &error);
    INFO("connect to " << endpoint(front.ip, front.port) << ": " << std::strerror(error));
    REQUIRE(fd.valid());
    return fd;
}

// A client connection that lb is expected to close without serving it: how and how fast it
// ended, measured from just before connect(). A reset may already fail the connect itself.
struct Closure {
    IoStatus how = IoStatus::Error;
    long long after_ms = 0;
    std::uint16_t client_port = 0;
    int connect_error = 0;

    [[nodiscard]] bool closed() const { return how == IoStatus::Eof || how == IoStatus::Reset; }
};

[[nodiscard]] inline Closure connect_and_wait_closed(const Front& front, Deadline deadline) {
    Closure out;
    const auto start = SteadyClock::now();
    const ConnectAttempt attempt = try_connect(front.ip, front.port, deadline);
    out.client_port = attempt.local_port;
    out.connect_error = attempt.error;
    if (attempt.fd)
        out.how = wait_closed(attempt.fd.get(), deadline);
    else if (attempt.error == ECONNRESET)
        out.how = IoStatus::Reset;
    out.after_ms = elapsed_ms(start);
    return out;
}

// Sends `message` and expects it back from an echo site; the connection stays open.
[[nodiscard]] inline bool echo_once(int fd, std::string_view message,
                                    Deadline deadline = deadline_in(5s)) {
    if (send_all(fd, message, deadline) != IoStatus::Ok) return false;
    std::string back;
    return recv_exact(fd, message.size(), back, deadline) == IoStatus::Ok && back == message;
}

// The whole log, for INFO() when an assertion about lb fails.
[[nodiscard]] inline std::string log_of(const LbProcess& lb) { return lb.log_text(); }

}  // namespace lb::test
