// Backends, config, process, admin client, `lb ctl` and HTTP helpers for the operator-surface
// tests; see ops_fixture.h.
#include "tests/e2e/ops_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lb::test::ops {
namespace {

std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> complete_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    // A last line without its newline may still be being written.
    if (!lines.empty() && text.back() != '\n') lines.pop_back();
    return lines;
}

std::uint64_t fnv1a(std::string_view bytes) {
    Fnv1a hash;
    hash.update(bytes);
    return hash.value();
}

std::string unique_greeting() {
    static std::atomic<unsigned> next{0};
    return "greeting " + std::to_string(::getpid()) + "-" + std::to_string(next.fetch_add(1)) +
           "\n";
}

// fork + exec of `argv` with stdout/stderr to the given files (or one file for both); the child
// gets an empty signal mask and dies with the test process.
pid_t spawn(std::vector<std::string> args, const std::filesystem::path& out,
            const std::filesystem::path& err) {
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int out_fd =
        ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    const int err_fd =
        out == err ? ::fcntl(out_fd, F_DUPFD_CLOEXEC, 0)
                   : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || err_fd < 0 || null_fd < 0) {
        const int error = errno;
        for (const int fd : {out_fd, err_fd, null_fd})
            if (fd >= 0) ::close(fd);
        throw std::system_error(error, std::generic_category(), "open");
    }
    const pid_t parent = ::getpid();
    sigset_t no_signals;
    sigemptyset(&no_signals);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
        if (::getppid() != parent) ::_exit(127);
        ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
        ::dup2(null_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        ::close_range(3, ~0U, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(out_fd);
    ::close(err_fd);
    ::close(null_fd);
    if (pid < 0) throw std::system_error(fork_errno, std::generic_category(), "fork");
    return pid;
}

Exit exit_of(int status, long long took_ms) {
    Exit out;
    out.exited = WIFEXITED(status);
    out.code = out.exited ? WEXITSTATUS(status) : -1;
    out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    out.took_ms = took_ms;
    return out;
}

}  // namespace

// --- Sites -----------------------------------------------------------------------------------

Sites::Sites() : port_(free_port("0.0.0.0")) {
    start("site-a");
    start("site-b");
}

std::optional<BackendServer>& Sites::slot(std::string_view site) {
    return site == "site-a" ? a_ : b_;
}

void Sites::stop(std::string_view site) { slot(site).reset(); }

void Sites::start(std::string_view site) {
    auto& server = slot(site);
    server.reset();
    server.emplace(site == "site-a" ? kSiteA : kSiteB, port_, echo_handler());
}

std::optional<std::string> Sites::site_that_saw(std::string_view greeting) const {
    const std::uint64_t want = fnv1a(greeting);
    for (const auto* site : {&a_, &b_}) {
        if (!site->has_value()) continue;
        for (const ConnectionRecord& r : (*site)->records())
            if (r.received == greeting.size() && r.checksum == want)
                return site == &a_ ? "site-a" : "site-b";
    }
    return std::nullopt;
}

Session open_session(const Front& front, const Sites& sites) {
    Session out;
    out.fd = connect_front(front);
    out.client_port = local_port(out.fd.get());
    const std::string greeting = unique_greeting();
    out.greeting_bytes = greeting.size();
    INFO("session from port " << out.client_port);
    REQUIRE(echo_once(out.fd.get(), greeting));
    // The backend published the record before echoing, so it is there now.
    const auto site = sites.site_that_saw(greeting);
    REQUIRE(site.has_value());
    out.site = *site;
    return out;
}

std::string route_of(const Front& front, const Sites& sites) {
    Session session = open_session(front, sites);
    REQUIRE(shutdown_write(session.fd.get()));
    CHECK(wait_closed(session.fd.get(), deadline_in(5s)) == IoStatus::Eof);
    return session.site;
}

std::string transfer(const Front& front, const Sites& sites, std::size_t size, std::uint64_t seed) {
    const Payload payload = Payload::random(size, seed);
    const std::string bytes = payload.materialize();
    Fd fd = connect_front(front);
    const Duplex result = duplex(fd.get(), payload, /*shutdown_after=*/true, deadline_in(10s));
    INFO("transfer of " << size << " bytes: " << to_string(result.status) << ", sent "
                        << result.sent << ", received " << result.received);
    REQUIRE(result.status == IoStatus::Eof);
    REQUIRE(result.sent == size);
    REQUIRE(result.received == size);
    REQUIRE(result.received_checksum == payload.checksum());
    // The backend saw the last bytes before echoing them, and their EOF before ours.
    std::optional<std::string> site;
    REQUIRE(wait_until([&] { return (site = sites.site_that_saw(bytes)).has_value(); },
                       deadline_in(5s)));
    return *site;
}

// --- config ----------------------------------------------------------------------------------

std::string OpsConfig::render() const {
    std::ostringstream out;
    out << "[global]\nworkers = " << workers << "\nmax_connections = " << max_connections
        << "\nstate_file = " << toml_string(state_file.string())
        << "\nlog_format = " << toml_string(log_format) << "\n";
    // The same hook as LbConfig: the suite can run every data-path variant (splice = false).
    if (const char* extra = std::getenv("LB_TEST_EXTRA_GLOBAL"); extra != nullptr)
        out << extra << "\n";
    out << "\n[admin]\nsocket = " << toml_string(admin_socket.string()) << "\n";
    if (!admin_mode.empty()) out << "mode = " << toml_string(admin_mode) << "\n";
    out << "\n[metrics]\nlisten = "
        << (metrics_port == 0 ? std::string("\"\"")
                              : toml_string(endpoint("127.0.0.1", metrics_port)))
        << "\n";
    out << "\n[timeouts]\nconnect = " << toml_string(connect_timeout)
        << "\nidle = " << toml_string(idle_timeout) << "\ndrain = " << toml_string(drain_timeout)
        << "\n";
    out << "\n[health]\nkind = \"tcp\"\ninterval = " << toml_string(health_interval)
        << "\ntimeout = " << toml_string(health_timeout) << "\nrise = " << rise
        << "\nfall = " << fall << "\n";
    if (health_port) out << "port = " << *health_port << "\n";
    out << "\n[policy]\nfailback = \"manual\"\nretry_on_standby = false\n";
    out << "\n[[sites]]\nname = \"site-a\"\naddress = " << toml_string(kSiteA)
        << "\nrole = \"primary\"\n";
    out << "\n[[sites]]\nname = \"site-b\"\naddress = " << toml_string(kSiteB)
        << "\nrole = \"standby\"\n";
    if (site_b_health_port) out << "\n[sites.health]\nport = " << *site_b_health_port << "\n";
    for (const ListenerConf& listener : listeners)
        out << "\n[[listeners]]\nname = " << toml_string(listener.name)
            << "\nbind = " << toml_string(endpoint(kClientIp, listener.port))
            << "\ntarget_port = " << site_port << "\n";
    if (!extra_toml.empty()) out << "\n" << extra_toml << "\n";
    return out.str();
}

// --- LbDaemon --------------------------------------------------------------------------------

LbDaemon::LbDaemon(const std::filesystem::path& config, std::filesystem::path log)
    : log_(std::move(log)) {
    pid_ = spawn({LB_BINARY, "run", "-c", config.string()}, log_, log_);
}

LbDaemon::~LbDaemon() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

bool LbDaemon::running() {
    if (pid_ <= 0 || wait_status_) return false;
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
        wait_status_ = rc == pid_ ? status : 0;
        return false;
    }
    return true;
}

void LbDaemon::signal(int sig) const {
    if (pid_ > 0 && !wait_status_) ::kill(pid_, sig);
}

bool LbDaemon::wait_ready(Deadline deadline) {
    bool gone = false;
    const bool ready = wait_until(
        [&] {
            for (const std::string& line : log_lines())
                if (message_starts_with(line, "ready: ")) return true;
            gone = !running();
            return gone;
        },
        deadline, 10ms);
    return ready && !gone;
}

std::optional<Exit> LbDaemon::wait_exit(Deadline deadline) {
    const auto start = SteadyClock::now();
    if (!wait_until([&] { return !running(); }, deadline, 2ms)) return std::nullopt;
    return exit_of(wait_status_.value_or(0), elapsed_ms(start));
}

Exit LbDaemon::stop(int sig, Deadline deadline) {
    const auto start = SteadyClock::now();
    signal(sig);
    if (auto exit = wait_exit(deadline)) {
        exit->took_ms = elapsed_ms(start);
        return *exit;
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = status;
    Exit out = exit_of(status, elapsed_ms(start));
    out.exited = false;  // it had to be killed
    return out;
}

std::string LbDaemon::log_text() const { return read_all(log_); }

std::vector<std::string> LbDaemon::log_lines() const { return complete_lines(log_text()); }

std::optional<std::string> LbDaemon::wait_for_log(const std::function<bool(std::string_view)>& pred,
                                                  Deadline deadline) const {
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
        deadline, 10ms);
    return found;
}

std::size_t LbDaemon::count_log(const std::function<bool(std::string_view)>& pred) const {
    std::size_t n = 0;
    for (const std::string& line : log_lines())
        if (pred(line)) ++n;
    return n;
}

std::string log_message(std::string_view line) {
    if (line.starts_with("{")) {
        const json::ParseResult parsed = json::parse(line);
        if (!parsed.value || !parsed.value->is_object()) return {};
        return (*parsed.value)["message"].string();
    }
    for (int field = 0; field < 2; ++field) {
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return {};
        line.remove_prefix(space + 1);
    }
    return std::string(line);
}

bool message_starts_with(std::string_view line, std::string_view prefix) {
    return log_message(line).starts_with(prefix);
}

// --- Workspace -------------------------------------------------------------------------------

Workspace::Workspace() = default;

OpsConfig Workspace::config(const Sites& sites, const Front& front) const {
    OpsConfig config;
    config.state_file = state_file();
    config.admin_socket = admin_socket();
    config.site_port = sites.port();
    config.listeners = {{"front", front.port}};
    return config;
}

void Workspace::write(const OpsConfig& config) const { write_text(config.render()); }

void Workspace::write_text(const std::string& text) const {
    const std::filesystem::path next = dir() / "lb.toml.next";
    {
        std::ofstream out(next, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        REQUIRE(out.good());
    }
    std::filesystem::rename(next, config_path());
}

std::unique_ptr<LbDaemon> Workspace::launch() {
    ++launched_;
    return std::make_unique<LbDaemon>(config_path(),
                                      dir() / ("lb-" + std::to_string(launched_) + ".log"));
}

std::unique_ptr<LbDaemon> Workspace::start() {
    auto lb = launch();
    const bool ready = lb->wait_ready(deadline_in(10s));
    INFO("config:\n" << read_all(config_path()));
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(ready);
    return lb;
}

std::unique_ptr<LbDaemon> Rig::start() {
    ws.write(config);
    auto lb = ws.start();
    require_sites_up(socket());
    return lb;
}

// --- lb ctl
// ----------------------------------------------------------------------------------------

CtlResult run_ctl(const std::vector<std::string>& args) {
    const TempDir dir("lb-ctl");
    std::vector<std::string> argv{LB_BINARY, "ctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t pid = spawn(argv, dir.path() / "out", dir.path() / "err");
    CtlResult out;
    int status = 0;
    const bool done = wait_until(
        [&] {
            const pid_t rc = ::waitpid(pid, &status, WNOHANG);
            return rc == pid || (rc < 0 && errno != EINTR);
        },
        deadline_in(10s), 2ms);
    if (!done) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    } else if (WIFEXITED(status)) {
        out.exit_code = WEXITSTATUS(status);
    }
    out.out = read_all(dir.path() / "out");
    out.err = read_all(dir.path() / "err");
    return out;
}

}  // namespace lb::test::ops
