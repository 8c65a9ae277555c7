// Shared setup for the operator-surface end-to-end tests (ops_*_test.cpp): a real `lb run` on a
// config the test writes (admin socket, metrics, log format, timeouts, listeners), restartable on
// the same directory and state file; two echo backends (site-a 127.0.0.2, site-b 127.0.0.3) on
// one port that can die and come back; `lb ctl`. The clients of the admin socket and the metrics
// endpoint are in ops_clients.h.
#pragma once

#include <sys/types.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/lb_process.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test::ops {

using namespace std::chrono_literals;

// --- the sites' backends ---------------------------------------------------------------------

// Echo servers for site-a (127.0.0.2) and site-b (127.0.0.3) on one port, so one target_port
// serves both; either can die (connects refused) and come back on the same port.
class Sites {
public:
    Sites();
    [[nodiscard]] std::uint16_t port() const { return port_; }
    void stop(std::string_view site);   // the site's backend dies: its sessions end, connects fail
    void start(std::string_view site);  // back on the same port
    // The site whose backend has a connection that received exactly `greeting` so far (the echo
    // backend publishes after every read, before echoing), or nullopt.
    [[nodiscard]] std::optional<std::string> site_that_saw(std::string_view greeting) const;

private:
    std::optional<BackendServer>& slot(std::string_view site);
    std::uint16_t port_ = 0;
    std::optional<BackendServer> a_;
    std::optional<BackendServer> b_;
};

// A connection through lb whose site is known from what the backend saw, not from lb's reports.
struct Session {
    Fd fd;
    std::uint16_t client_port = 0;
    std::string site;
    std::size_t greeting_bytes = 0;  // sent (and echoed) so far
};
// Connects to `front`, sends a unique greeting and checks its echo (REQUIRE), and finds the site
// that got it. The connection stays open.
[[nodiscard]] Session open_session(const Front& front, const Sites& sites);
// A whole short connection (greeting, echo, close): the site that served it. REQUIREs success.
[[nodiscard]] std::string route_of(const Front& front, const Sites& sites);
// A connection carrying `size` random bytes (from `seed`) each way: sent, echoed, checked
// (REQUIRE), closed. Returns the site whose backend saw exactly those bytes.
[[nodiscard]] std::string transfer(const Front& front, const Sites& sites, std::size_t size,
                                   std::uint64_t seed);

// --- config and the lb process ---------------------------------------------------------------

struct ListenerConf {
    std::string name;
    std::uint16_t port = 0;  // bind 127.0.0.1:port; target_port = the sites' port
};

// Every key DESIGN.md names that these tests set; rendered in full, nothing implicit.
struct OpsConfig {
    int workers = 2;
    int max_connections = 1000;
    std::string log_format = "tcplog";
    std::filesystem::path state_file;
    std::filesystem::path admin_socket;
    std::string admin_mode;          // empty: the default
    std::uint16_t metrics_port = 0;  // 0: metrics off (listen = "")
    std::string connect_timeout = "1s";
    std::string idle_timeout = "30s";
    std::string drain_timeout = "30s";
    std::string health_interval = "200ms";
    std::string health_timeout = "150ms";
    std::optional<std::uint16_t> health_port;         // unset: the listener's target port
    std::optional<std::uint16_t> site_b_health_port;  // [sites.health] port of site-b
    int rise = 1;
    int fall = 2;
    std::uint16_t site_port = 0;
    std::vector<ListenerConf> listeners;
    std::string extra_toml;  // appended last (e.g. an invalid key)

    [[nodiscard]] std::string render() const;
};

// Exit status of a process that ended.
struct Exit {
    bool exited = false;  // WIFEXITED
    int code = -1;
    int signal = 0;
    long long took_ms = 0;  // from the stop request (or the wait) to the exit
};

// One `lb run -c CONFIG` process, output to `log`. RAII: SIGKILLed and reaped if still running.
// The child dies with the test process (PR_SET_PDEATHSIG).
class LbDaemon {
public:
    LbDaemon(const std::filesystem::path& config, std::filesystem::path log);
    ~LbDaemon();
    LbDaemon(const LbDaemon&) = delete;
    LbDaemon& operator=(const LbDaemon&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();  // reaps the process once it has exited
    void signal(int sig) const;
    // Waits for the "ready: " message (text or JSON log); false if the deadline passes or the
    // process exits first.
    [[nodiscard]] bool wait_ready(Deadline deadline);
    // Waits for the process to exit by itself; nullopt at the deadline (it keeps running).
    [[nodiscard]] std::optional<Exit> wait_exit(Deadline deadline);
    // Sends `sig`, waits for the exit; SIGKILL at the deadline (then `exited` is false).
    Exit stop(int sig, Deadline deadline);

    [[nodiscard]] std::string log_text() const;
    [[nodiscard]] std::vector<std::string> log_lines() const;  // complete lines only
    [[nodiscard]] std::optional<std::string> wait_for_log(
        const std::function<bool(std::string_view)>& pred, Deadline deadline) const;
    [[nodiscard]] std::size_t count_log(const std::function<bool(std::string_view)>& pred) const;

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::optional<int> wait_status_;
};

// The message of a log line: after "TIMESTAMP LEVEL " in text mode, the "message" field of a
// JSON line; empty for lines without one (connection lines).
[[nodiscard]] std::string log_message(std::string_view line);
[[nodiscard]] bool message_starts_with(std::string_view line, std::string_view prefix);

// A test's directory: lb.toml, state file, admin socket, one log per started process. The
// config written last is what a started or reloading lb reads.
class Workspace {
public:
    Workspace();
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir() / "lb.toml"; }
    [[nodiscard]] std::filesystem::path admin_socket() const { return dir() / "admin.sock"; }
    [[nodiscard]] std::filesystem::path state_file() const { return dir() / "state.json"; }

    // A config with this workspace's paths, `sites`' port and one listener "front".
    [[nodiscard]] OpsConfig config(const Sites& sites, const Front& front) const;
    // Replaces lb.toml atomically (a new file renamed over it): a reload never reads half.
    void write(const OpsConfig& config) const;
    void write_text(const std::string& text) const;
    // Starts `lb run -c lb.toml` (log lb-N.log) and waits until ready; REQUIREs it.
    [[nodiscard]] std::unique_ptr<LbDaemon> start();
    // Starts without waiting (for a start that must fail).
    [[nodiscard]] std::unique_ptr<LbDaemon> launch();

private:
    TempDir dir_{"lb-ops"};
    int launched_ = 0;
};

// The usual setup: both backends, a front port, a workspace and its config (written by start()).
struct Rig {
    Sites sites;
    Front front = free_front();
    Workspace ws;
    OpsConfig config = ws.config(sites, front);

    [[nodiscard]] std::filesystem::path socket() const { return ws.admin_socket(); }
    // Writes `config`, starts lb and waits until it is ready and both sites are up.
    [[nodiscard]] std::unique_ptr<LbDaemon> start();
};

// --- lb ctl and HTTP -------------------------------------------------------------------------

struct CtlResult {
    int exit_code = -1;  // -1: killed at the deadline or did not exit normally
    std::string out;
    std::string err;
};
// Runs `LB_BINARY ctl ARGS...` with a 10 s deadline.
[[nodiscard]] CtlResult run_ctl(const std::vector<std::string>& args);

}  // namespace lb::test::ops
