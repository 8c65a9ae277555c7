// A real `lb run -c FILE` process for end-to-end tests; see lb_process.h. The child gets the
// test's rlimits, a fresh signal mask, stdout/stderr on DIR/lb.log, and dies with the test.
#include "tests/support/lb_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace lb::test {

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / prefix).string() + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string LbConfig::render(const std::filesystem::path& dir) const {
    std::ostringstream out;
    out << "[global]\n"
        << "workers = " << workers << "\n"
        << "max_connections = " << max_connections << "\n"
        << "state_file = " << quoted((dir / "state.json").string()) << "\n"
        << "log_format = " << quoted(log_format) << "\n";
    if (const char* extra = std::getenv("LB_TEST_EXTRA_GLOBAL"); extra != nullptr)
        out << extra << "\n";
    out << "\n[admin]\nsocket = " << quoted((dir / "admin.sock").string()) << "\n"
        << "\n[metrics]\nlisten = \"\"\n"
        << "\n[timeouts]\nconnect = " << quoted(connect_timeout) << "\n"
        << "idle = " << quoted(idle_timeout) << "\n";
    if (drain_timeout) out << "drain = " << quoted(*drain_timeout) << "\n";
    // TCP checks of each site's port for the first listener (the backend the test runs).
    out << "\n[health]\nkind = \"tcp\"\ninterval = \"200ms\"\ntimeout = \"100ms\"\n"
        << "\n[policy]\nretry_on_standby = " << (retry_on_standby ? "true" : "false") << "\n";
    for (const SiteSpec& site : sites)
        out << "\n[[sites]]\nname = " << quoted(site.name) << "\naddress = " << quoted(site.address)
            << "\nrole = " << quoted(site.role) << "\n";
    for (const ListenerSpec& listener : listeners)
        out << "\n[[listeners]]\nname = " << quoted(listener.name)
            << "\nbind = " << quoted(listener.bind) << "\ntarget_port = " << listener.target_port
            << "\n";
    if (!extra_toml.empty()) out << "\n" << extra_toml << "\n";
    return out.str();
}

std::optional<TcplogLine> parse_tcplog(std::string_view line) {
    static const std::regex pattern(
        R"(^(\[[0-9A-Fa-f:.]+\]|[0-9.]+):([0-9]{1,5})\s+)"
        R"(\[([0-9]{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/[0-9]{4})"
        R"(:[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3})\]\s+)"
        R"((\S+)\s+(\S+)\s+(-1|[0-9]+)/([0-9]+)\s+([0-9]+)/([0-9]+)\s+(\S\S)\s+([0-9]+)\s+([0-9]+)$)");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(line.begin(), line.end(), m, pattern)) return std::nullopt;
    TcplogLine out;
    out.client_ip = m[1].str();
    const unsigned long port = std::stoul(m[2].str());
    if (port > 65535) return std::nullopt;
    out.client_port = static_cast<std::uint16_t>(port);
    out.client = out.client_ip + ":" + m[2].str();
    if (out.client_ip.front() == '[')
        out.client_ip = out.client_ip.substr(1, out.client_ip.size() - 2);
    out.timestamp = m[3].str();
    out.listener = m[4].str();
    out.site = m[5].str();
    out.tc_ms = std::stoll(m[6].str());
    out.tt_ms = std::stoll(m[7].str());
    out.bytes_to_client = std::stoull(m[8].str());
    out.bytes_to_site = std::stoull(m[9].str());
    out.term = m[10].str();
    out.actconn = std::stoll(m[11].str());
    out.retries = std::stoll(m[12].str());
    return out;
}

LbProcess::LbProcess(const LbConfig& config, const LaunchOptions& options) {
    {
        std::ofstream out(config_path());
        out << config.render(dir());
    }
    // Everything the child needs is prepared here: after fork() it may only make system calls.
    std::string binary = LB_BINARY;
    std::string run = "run";
    std::string dash_c = "-c";
    std::string config_arg = config_path().string();
    std::vector<char*> argv{binary.data(), run.data(), dash_c.data(), config_arg.data(), nullptr};
    const int log_fd = ::open((dir() / "lb.log").c_str(),
                              O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) throw std::system_error(errno, std::generic_category(), "open");
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
        ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::close_range(3, ~0U, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(log_fd);
    ::close(null_fd);
    if (pid_ < 0) throw std::system_error(fork_errno, std::generic_category(), "fork");
}

LbProcess::~LbProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

bool LbProcess::running() {
    if (pid_ <= 0 || wait_status_) return false;
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
        wait_status_ = rc == pid_ ? status : 0;
        return false;
    }
    return true;
}

bool LbProcess::wait_ready(Deadline deadline) {
    bool gone = false;
    const bool ready = wait_until(
        [&] {
            if (log_text().find(" ready: ") != std::string::npos) return true;
            gone = !running();
            return gone;
        },
        deadline, std::chrono::milliseconds(10));
    return ready && !gone;
}

StopResult LbProcess::stop(int sig, Deadline deadline) {
    StopResult out;
    const auto start = SteadyClock::now();
    if (running()) {
        ::kill(pid_, sig);
        out.exited_in_time = wait_until([&] { return !running(); }, deadline);
        if (!out.exited_in_time) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            wait_status_ = status;
        }
    } else {
        out.exited_in_time = true;
    }
    out.took_ms = elapsed_ms(start);
    const int status = wait_status_.value_or(0);
    out.exited = WIFEXITED(status);
    out.exit_code = out.exited ? WEXITSTATUS(status) : -1;
    out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return out;
}

std::string LbProcess::config_text() const { return read_file(config_path()); }

std::string LbProcess::log_text() const { return read_file(dir() / "lb.log"); }

std::vector<std::string> LbProcess::log_lines() const {
    const std::string text = log_text();
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    // A last line without its newline may still be being written.
    if (!lines.empty() && text.back() != '\n') lines.pop_back();
    return lines;
}

std::vector<TcplogLine> LbProcess::tcplog_lines() const {
    std::vector<TcplogLine> out;
    for (const std::string& line : log_lines())
        if (auto parsed = parse_tcplog(line)) out.push_back(std::move(*parsed));
    return out;
}

std::optional<std::string> LbProcess::wait_for_log(
    const std::function<bool(std::string_view)>& pred, Deadline deadline) const {
    std::optional<std::string> found;
    (void)wait_until(
        [&] {
            for (const std::string& line : log_lines())
                if (pred(line)) {
                    found = line;
                    return true;
                }
            return false;
        },
        deadline, std::chrono::milliseconds(10));
    return found;
}

std::optional<TcplogLine> LbProcess::wait_for_tcplog(std::uint16_t client_port,
                                                     Deadline deadline) const {
    const auto line = wait_for_log(
        [client_port](std::string_view text) {
            const auto parsed = parse_tcplog(text);
            return parsed && parsed->client_port == client_port;
        },
        deadline);
    if (!line) return std::nullopt;
    return parse_tcplog(*line);
}

std::optional<long> LbProcess::rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return std::nullopt;
}

std::optional<std::uint64_t> LbProcess::cpu_ticks() const {
    const std::string stat = read_file("/proc/" + std::to_string(pid_) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(paren + 1));
    std::vector<std::string> tokens;
    for (std::string token; fields >> token;) tokens.push_back(token);
    // After "(comm)": state is field 3; utime and stime are fields 14 and 15.
    if (tokens.size() < 13) return std::nullopt;
    return std::stoull(tokens[11]) + std::stoull(tokens[12]);
}

std::optional<std::size_t> LbProcess::open_fds() const {
    std::error_code error;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", error);
    if (error) return std::nullopt;
    std::size_t count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error) return std::nullopt;
        ++count;
    }
    return count;
}

}  // namespace lb::test
