// A real HAProxy (`haproxy -f CFG -db`, in the foreground) started by a test as the reference
// for lb's HAProxy-compatible surfaces: one TCP frontend and a backend of the same name, its
// servers health-checked, and an admin-level stats socket. Config, socket and log live in a
// temp directory of its own; the process is stopped by its PID only and dies with the test.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lb::test {

struct HaproxyServer {
    std::string name;
    std::string address;  // IP
    std::uint16_t port = 0;
    bool backup = false;
    std::string options = {};  // more server keywords, e.g. "send-proxy-v2"
};

// Rendered as `frontend NAME` then `backend NAME` (HAProxy numbers them 2 and 3), every server
// with `check inter INTERVAL rise R fall F`, checks timed out after `check_timeout`.
struct HaproxyConfig {
    std::string proxy = "web";
    std::string bind;  // "127.0.0.1:PORT"
    std::vector<HaproxyServer> servers;
    int nbthread = 2;
    int maxconn = 1000;
    std::string check_interval = "200ms";
    std::string check_timeout = "100ms";
    int rise = 2;
    int fall = 3;
    std::string connect_timeout = "1s";
    std::string idle_timeout = "30s";

    [[nodiscard]] std::string render(const std::filesystem::path& stats_socket) const;
};

class HaproxyProcess {
public:
    // Writes the config to a temp directory and starts HAProxy on it. The binary is
    // HaproxyProcess::binary(), which must not be empty.
    explicit HaproxyProcess(const HaproxyConfig& config);
    ~HaproxyProcess();  // stop()
    HaproxyProcess(const HaproxyProcess&) = delete;
    HaproxyProcess& operator=(const HaproxyProcess&) = delete;

    // Waits until the stats socket answers `show info`; false if HAProxy exits or the deadline
    // passes first.
    [[nodiscard]] bool wait_ready(Deadline deadline);
    // SIGTERM to its PID (HAProxy stops at once), SIGKILL after 5 s. Idempotent.
    void stop();

    [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }
    [[nodiscard]] pid_t pid() const { return process_->pid(); }
    [[nodiscard]] std::string config_text() const;
    [[nodiscard]] std::string log_text() const;

    // $LB_HAPROXY, else `haproxy` from PATH, /usr/sbin or /sbin; empty when there is none.
    [[nodiscard]] static std::string binary();

private:
    TempDir dir_{"lb-haproxy"};
    std::filesystem::path socket_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace lb::test
