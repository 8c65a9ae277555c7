// A real `lb run -c FILE` process for end-to-end tests: a temporary directory holding the config,
// state file, admin socket and stderr log; readiness and log waits with deadlines; /proc probes.
// RAII: the destructor kills a process still running and removes the directory.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/wait.h"

namespace lb::test {

// A directory from mkdtemp(3), removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "lb-e2e");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

struct SiteSpec {
    std::string name;
    std::string address;  // IP without port
    std::string role;     // "primary" | "standby"
};

struct ListenerSpec {
    std::string name;
    std::string bind;  // "127.0.0.1:PORT" or "[::1]:PORT"
    std::uint16_t target_port = 0;
};

// The config a test runs lb with. Keys per DESIGN.md; the state file and admin socket go in the
// test's directory, metrics are disabled. The environment variable LB_TEST_EXTRA_GLOBAL (e.g.
// "splice = false") is appended to [global], so the same suite runs every data-path variant.
struct LbConfig {
    int workers = 1;
    int max_connections = 1000;
    std::string log_format = "tcplog";
    std::string connect_timeout = "1s";
    std::string idle_timeout = "30s";
    std::optional<std::string> drain_timeout;
    // A failed connect is not retried on the standby, so termination codes are deterministic.
    bool retry_on_standby = false;
    std::vector<SiteSpec> sites;
    std::vector<ListenerSpec> listeners;
    std::string extra_toml;  // appended after everything else

    [[nodiscard]] std::string render(const std::filesystem::path& dir) const;
};

struct LaunchOptions {
    // RLIMIT_NOFILE for the child, soft and hard, set between fork and exec.
    std::optional<rlim_t> nofile_limit;
};

struct StopResult {
    bool exited_in_time = false;  // false: SIGKILLed at the deadline
    bool exited = false;          // WIFEXITED
    int exit_code = -1;
    int signal = 0;  // WTERMSIG when killed by a signal
    long long took_ms = 0;
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
    // Creates the directory, writes lb.toml from `config` and starts `lb run -c` (LB_BINARY),
    // stdout and stderr to lb.log. Throws if fork fails.
    explicit LbProcess(const LbConfig& config, const LaunchOptions& options = {});
    ~LbProcess();
    LbProcess(const LbProcess&) = delete;
    LbProcess& operator=(const LbProcess&) = delete;

    // Waits for the " ready: " line; false if the deadline passes or the process exits first.
    [[nodiscard]] bool wait_ready(Deadline deadline);
    // Sends `sig` and reaps the process; SIGKILL when `deadline` passes first.
    StopResult stop(int sig, Deadline deadline);
    [[nodiscard]] bool running();  // reaps the process if it has exited
    [[nodiscard]] pid_t pid() const { return pid_; }

    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir() / "lb.toml"; }
    [[nodiscard]] std::string config_text() const;
    [[nodiscard]] std::string log_text() const;
    [[nodiscard]] std::vector<std::string> log_lines() const;
    [[nodiscard]] std::vector<TcplogLine> tcplog_lines() const;
    // The first log line satisfying `pred`, waiting until `deadline`.
    [[nodiscard]] std::optional<std::string> wait_for_log(
        const std::function<bool(std::string_view)>& pred, Deadline deadline) const;
    // The tcplog line of the client connection from local port `client_port`.
    [[nodiscard]] std::optional<TcplogLine> wait_for_tcplog(std::uint16_t client_port,
                                                            Deadline deadline) const;

    // VmRSS in KiB and utime+stime in clock ticks, from /proc; nullopt once the process is gone.
    [[nodiscard]] std::optional<long> rss_kib() const;
    [[nodiscard]] std::optional<std::uint64_t> cpu_ticks() const;
    // The number of open file descriptors (entries of /proc/PID/fd); nullopt once gone.
    [[nodiscard]] std::optional<std::size_t> open_fds() const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
    std::optional<int> wait_status_;
};

}  // namespace lb::test
