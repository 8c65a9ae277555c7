// A real `lb run -c FILE` for end-to-end tests: the config it runs (LbConfig), the directory that
// holds config, state file, admin socket and logs across restarts (LbWorkspace), and the process
// (LbProcess) with readiness and log waits that have deadlines, and /proc probes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lb::test {

// `text` as a TOML basic string, quotes included.
[[nodiscard]] std::string toml_string(std::string_view text);

struct SiteSpec {
    std::string name;
    std::string address;  // IP without port
    std::string role;     // "primary" | "standby"
    // The keys of the site's [sites.health] table as TOML lines ("port = 8443\nrise = 3\n");
    // empty: no such table, [health] applies. (`= {}` lets a site be listed without it.)
    std::string health_toml = {};
};

struct ListenerSpec {
    std::string name;
    std::string bind;  // "127.0.0.1:PORT" or "[::1]:PORT"
    std::uint16_t target_port = 0;
    std::string proxy_protocol = {};  // "v1" | "v2"; empty: the key is left out
};

// The config a test runs lb with, rendered in full (keys per docs/configuration.md); the state file and admin
// socket are the workspace's. The environment variable LB_TEST_EXTRA_GLOBAL (e.g.
// "splice = false") is appended to [global], so the same suite runs every data-path variant.
struct LbConfig {
    int workers = 1;
    int max_connections = 1000;
    std::string log_format = "tcplog";
    std::string admin_mode;          // [admin] mode; empty: lb's default
    std::uint16_t metrics_port = 0;  // [metrics] listen on 127.0.0.1:PORT; 0: metrics off
    std::string connect_timeout = "1s";
    std::string idle_timeout = "30s";
    std::optional<std::string> drain_timeout;
    // [health]: TCP checks of each site on the listener's target port.
    std::string health_interval = "200ms";
    std::string health_timeout = "100ms";
    std::optional<int> rise;
    std::optional<int> fall;
    // [policy]. A failed connect is not retried on the standby by default, so termination codes
    // are deterministic.
    std::optional<std::string> failback;
    std::optional<std::string> failback_after;
    bool retry_on_standby = false;
    std::vector<SiteSpec> sites;
    std::vector<ListenerSpec> listeners;
    std::string extra_toml;  // appended after everything else (e.g. an invalid key)
    // [global] state_file; empty: the workspace's state.json.
    std::filesystem::path state_file_path = {};

    // The TOML text; LbWorkspace::write_config passes its own paths.
    [[nodiscard]] std::string render(const std::filesystem::path& state_file,
                                     const std::filesystem::path& admin_socket) const;
};

// A test's directory for lb: lb.toml, state.json, admin.sock and one log per process started on
// it. It outlives any one process, so a restart reads the same config and state file, and a test
// may prepare files (a state file) before the first start.
class LbWorkspace {
public:
    explicit LbWorkspace(std::string_view prefix = "lb-e2e") : dir_(prefix) {}

    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir() / "lb.toml"; }
    [[nodiscard]] std::filesystem::path state_file() const { return dir() / "state.json"; }
    [[nodiscard]] std::filesystem::path admin_socket() const { return dir() / "admin.sock"; }

    // Replaces lb.toml atomically (a new file renamed over it): a reloading lb never reads half.
    void write_config(const LbConfig& config) const;
    // Where the next process started here logs: lb.log, then lb-2.log, lb-3.log, ...
    [[nodiscard]] std::filesystem::path next_log();

private:
    TempDir dir_;
    int launched_ = 0;
};

// One field-parsed tcplog line:
// CLIENT [DD/Mon/YYYY:HH:MM:SS.mmm] LISTENER SITE Tc/Tt TO_CLIENT/TO_SITE TERM ACTCONN RETRIES
struct TcplogLine {
    std::string client;  // "127.0.0.1:53422" or "[::1]:53422"
    std::string client_ip;
    std::uint16_t client_port = 0;
    std::string timestamp;
    std::string listener;
    std::string site;
    long long tc_ms = 0;
    long long tt_ms = 0;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t bytes_to_site = 0;
    std::string term;
    long long actconn = 0;
    long long retries = 0;
};
// nullopt unless the whole line has exactly that shape.
[[nodiscard]] std::optional<TcplogLine> parse_tcplog(std::string_view line);

class LbProcess {
public:
    // A workspace of its own with lb.toml from `config`, then `lb run -c` on it (lb_binary()).
    explicit LbProcess(const LbConfig& config, const SpawnOptions& options = {});
    // `lb run -c` on `workspace`'s lb.toml as it is now, stdout and stderr to
    // workspace.next_log(). The workspace must outlive this object.
    explicit LbProcess(LbWorkspace& workspace, const SpawnOptions& options = {});
    // Ends a process still running the way an operator does (terminate()), so sanitizers run
    // their exit checks; then fails the test if the log holds a sanitizer report.
    ~LbProcess();
    LbProcess(const LbProcess&) = delete;
    LbProcess& operator=(const LbProcess&) = delete;

    // Waits for the "ready: " message (text or JSON log); false if the deadline passes or the
    // process exits first.
    [[nodiscard]] bool wait_ready(Deadline deadline);
    void signal(int sig) const { process_.signal(sig); }
    // Waits for the process to exit by itself; nullopt at the deadline (it keeps running).
    [[nodiscard]] std::optional<StopResult> wait_exit(Deadline deadline) {
        return process_.wait_exit(deadline);
    }
    // Sends `sig` and reaps the process; SIGKILL when `deadline` passes first.
    StopResult stop(int sig, Deadline deadline) { return process_.stop(sig, deadline); }
    // SIGTERM; a second SIGTERM after 2 s cuts a drain short; SIGKILL only if lb is still there
    // 30 s later (a leak check under LeakSanitizer takes a moment).
    StopResult terminate();
    // Lines of the log that start an AddressSanitizer, LeakSanitizer or UBSan report.
    [[nodiscard]] std::vector<std::string> sanitizer_reports() const;
    [[nodiscard]] bool running() { return process_.running(); }  // reaps it once it has exited
    [[nodiscard]] pid_t pid() const { return process_.pid(); }

    // The directory it runs in; a second LbProcess on it is a restart on the same files.
    [[nodiscard]] LbWorkspace& workspace() { return workspace_; }
    [[nodiscard]] const std::filesystem::path& dir() const { return workspace_.dir(); }
    [[nodiscard]] std::filesystem::path config_path() const { return workspace_.config_path(); }
    [[nodiscard]] std::string config_text() const;
    [[nodiscard]] std::string log_text() const;
    [[nodiscard]] std::vector<std::string> log_lines() const;  // complete lines only
    [[nodiscard]] std::vector<TcplogLine> tcplog_lines() const;
    [[nodiscard]] std::size_t count_log(const std::function<bool(std::string_view)>& pred) const;
    // The `n`th (1-based) log line satisfying `pred`, waiting until `deadline`.
    [[nodiscard]] std::optional<std::string> wait_for_log(
        const std::function<bool(std::string_view)>& pred, Deadline deadline,
        std::size_t n = 1) const;
    // The tcplog line of the client connection from local port `client_port`.
    [[nodiscard]] std::optional<TcplogLine> wait_for_tcplog(std::uint16_t client_port,
                                                            Deadline deadline) const;

    // VmRSS in KiB and utime+stime in clock ticks, from /proc; nullopt once the process is gone.
    [[nodiscard]] std::optional<long> rss_kib() const;
    [[nodiscard]] std::optional<std::uint64_t> cpu_ticks() const;
    // The number of open file descriptors (entries of /proc/PID/fd); nullopt once gone.
    [[nodiscard]] std::optional<std::size_t> open_fds() const;

private:
    std::unique_ptr<LbWorkspace> own_workspace_;  // set by the LbConfig constructor
    LbWorkspace& workspace_;
    std::filesystem::path log_;
    ChildProcess process_;
};

// The message of a log line: after "TIMESTAMP LEVEL " in text mode, the "message" field of a
// JSON line; empty for lines without one (connection lines).
[[nodiscard]] std::string log_message(std::string_view line);
[[nodiscard]] bool message_starts_with(std::string_view line, std::string_view prefix);
// The level of a log line: the word after the timestamp in text mode ("warning"), the "level"
// field of a JSON line; empty for lines without one (connection lines).
[[nodiscard]] std::string log_level(std::string_view line);
// The number of kernel pipes ("pipe:[INODE]" entries of /proc/PID/fd) process `pid` holds;
// nullopt once it is gone.
[[nodiscard]] std::optional<std::size_t> open_pipes(pid_t pid);
// Every entry of /proc/PID/fd as "FD -> TARGET" lines (for messages); empty once it is gone.
[[nodiscard]] std::string describe_fds(pid_t pid);

}  // namespace lb::test
