// A program a test runs (lb, `lb ctl`): fork + exec with stdin on /dev/null and stdout/stderr in
// files, an empty signal mask, and death with the test process (PR_SET_PDEATHSIG). RAII: the
// destructor SIGKILLs and reaps a child still running.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/wait.h"

namespace lb::test {

struct SpawnOptions {
    // RLIMIT_NOFILE for the child, soft and hard, set between fork and exec.
    std::optional<rlim_t> nofile_limit;
    // A named network namespace (/run/netns/NAME, as `ip netns add` makes) the child enters with
    // setns(2) before exec, as `ip netns exec NAME` does for the network; empty: the test's own.
    std::string netns = {};
    // "NAME=VALUE" entries added to the environment the child inherits (a NAME already there is
    // replaced).
    std::vector<std::string> environment = {};
    // >= 0: the child's stderr is a copy of this descriptor (the write end of a pipe the test
    // reads, or stops reading, itself) and the `err` file is not opened. The caller keeps and
    // closes its own descriptor.
    int stderr_fd = -1;
};

// How a child ended.
struct StopResult {
    bool exited_in_time = false;  // false: SIGKILLed at the deadline
    bool exited = false;          // WIFEXITED
    int exit_code = -1;           // WEXITSTATUS, -1 unless it exited
    int signal = 0;               // WTERMSIG when killed by a signal
    long long took_ms = 0;        // from the stop request (or the start of the wait) to the end
};

class ChildProcess {
public:
    // Runs `argv` (argv[0] is the path of the program) with stdout to `out` and stderr to `err`
    // (the same file if they are equal; `options.stderr_fd` instead, if set), both truncated.
    // Throws std::system_error if a file cannot be opened or fork fails; an exec failure shows
    // as exit code 127, a failed setns(2) into `options.netns` as 125.
    ChildProcess(std::vector<std::string> argv, const std::filesystem::path& out,
                 const std::filesystem::path& err, const SpawnOptions& options = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();  // reaps the child once it has exited
    void signal(int sig) const;    // nothing once it has been reaped
    // Waits for the child to exit by itself; nullopt at the deadline (it keeps running).
    [[nodiscard]] std::optional<StopResult> wait_exit(Deadline deadline);
    // Sends `sig` and waits for the exit; SIGKILL at the deadline.
    StopResult stop(int sig, Deadline deadline);

private:
    [[nodiscard]] StopResult result(long long took_ms) const;
    void kill_and_reap();

    pid_t pid_ = -1;
    std::optional<int> wait_status_;
};

}  // namespace lb::test
