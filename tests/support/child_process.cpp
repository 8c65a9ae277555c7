// fork/exec/waitpid for ChildProcess. Everything the child needs is prepared before fork():
// after it, the child only makes system calls.
#include "tests/support/child_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>

namespace lb::test {
namespace {

int open_output(const std::filesystem::path& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> args, const std::filesystem::path& out,
                           const std::filesystem::path& err, const SpawnOptions& options) {
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    // The child's environment, built before fork(): this process's, with options.environment
    // added or replacing, and without NOTIFY_SOCKET: when the suite itself runs under systemd,
    // the lb processes it starts must not report to that service manager.
    std::vector<std::string> environment = options.environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view inherited(*entry);
        const auto name = inherited.substr(0, inherited.find('=') + 1);
        if (name == "NOTIFY_SOCKET=") continue;
        const bool replaced = std::any_of(environment.begin(), environment.end(),
                                          [&](const std::string& e) { return e.starts_with(name); });
        if (!replaced) environment.emplace_back(inherited);
    }
    std::vector<char*> envp;
    for (std::string& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const int out_fd = open_output(out);
    const int err_fd = options.stderr_fd >= 0 ? ::fcntl(options.stderr_fd, F_DUPFD_CLOEXEC, 0)
                       : out == err           ? ::fcntl(out_fd, F_DUPFD_CLOEXEC, 0)
                                              : open_output(err);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const std::string netns_path = options.netns.empty() ? "" : "/run/netns/" + options.netns;
    const int netns_fd = netns_path.empty() ? -2 : ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || err_fd < 0 || null_fd < 0 || netns_fd == -1) {
        const int error = errno;
        for (const int fd : {out_fd, err_fd, null_fd, netns_fd})
            if (fd >= 0) ::close(fd);
        throw std::system_error(error, std::generic_category(),
                                netns_fd == -1 ? "open " + netns_path : "open");
    }
    const pid_t parent = ::getpid();
    sigset_t no_signals;
    sigemptyset(&no_signals);

    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
        if (::getppid() != parent) ::_exit(127);
        if (options.nofile_limit) {
            const rlimit limit{*options.nofile_limit, *options.nofile_limit};
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
        }
        if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) ::_exit(125);
        ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
        ::dup2(null_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        ::close_range(3, ~0U, 0);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(out_fd);
    ::close(err_fd);
    ::close(null_fd);
    if (netns_fd >= 0) ::close(netns_fd);
    if (pid_ < 0) throw std::system_error(fork_errno, std::generic_category(), "fork");
}

ChildProcess::~ChildProcess() {
    if (running()) kill_and_reap();
}

bool ChildProcess::running() {
    if (pid_ <= 0 || wait_status_) return false;
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
        wait_status_ = rc == pid_ ? status : 0;
        return false;
    }
    return true;
}

void ChildProcess::signal(int sig) const {
    if (pid_ > 0 && !wait_status_) ::kill(pid_, sig);
}

std::optional<StopResult> ChildProcess::wait_exit(Deadline deadline) {
    const auto start = SteadyClock::now();
    if (!wait_until([&] { return !running(); }, deadline, std::chrono::milliseconds(2)))
        return std::nullopt;
    return result(elapsed_ms(start));
}

StopResult ChildProcess::stop(int sig, Deadline deadline) {
    const auto start = SteadyClock::now();
    signal(sig);
    if (auto exit = wait_exit(deadline)) {
        exit->took_ms = elapsed_ms(start);
        return *exit;
    }
    kill_and_reap();
    StopResult out = result(elapsed_ms(start));
    out.exited_in_time = false;
    return out;
}

StopResult ChildProcess::result(long long took_ms) const {
    const int status = wait_status_.value_or(0);
    StopResult out;
    out.exited_in_time = true;
    out.exited = WIFEXITED(status);
    out.exit_code = out.exited ? WEXITSTATUS(status) : -1;
    out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    out.took_ms = took_ms;
    return out;
}

void ChildProcess::kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = status;
}

}  // namespace lb::test
