// Gateways, config, a second kind of lb launch, log parsing and HTTP clients for the failover
// tests; see failover_fixture.h.
#include "tests/e2e/failover_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

namespace lb::test {
namespace {

std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string render_site(const std::string& name, const std::string& address,
                        const std::string& role, const SiteHealthToml& health) {
    std::ostringstream out;
    out << "\n[[sites]]\nname = " << toml_string(name) << "\naddress = " << toml_string(address)
        << "\nrole = " << toml_string(role) << "\n"
        << "\n[sites.health]\nkind = " << toml_string(health.kind) << "\n";
    if (health.port) out << "port = " << *health.port << "\n";
    if (health.kind != "tcp")
        out << "path = " << toml_string(health.path) << "\nhost = " << toml_string(health.host)
            << "\n";
    if (health.verify) out << "verify = " << toml_string(*health.verify) << "\n";
    if (health.ca_file) out << "ca_file = " << toml_string(*health.ca_file) << "\n";
    out << "interval = " << toml_string(health.interval)
        << "\ntimeout = " << toml_string(health.timeout) << "\nrise = " << health.rise
        << "\nfall = " << health.fall << "\n";
    return out.str();
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    // A last line without its newline may still be being written.
    if (!lines.empty() && text.back() != '\n') lines.pop_back();
    return lines;
}

// The message part of a text log line: after "TIMESTAMP LEVEL ".
std::string_view message_of(std::string_view line) {
    for (int field = 0; field < 2; ++field) {
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return {};
        line.remove_prefix(space + 1);
    }
    return line;
}

}  // namespace

std::uint16_t free_port_everywhere() { return free_port("0.0.0.0"); }

// --- Gateway ---------------------------------------------------------------------------------

Gateway::Gateway(std::string site, std::string address, std::uint16_t port,
                 std::optional<GatewayTls> tls)
    : site_(std::move(site)), address_(std::move(address)), port_(port), tls_(std::move(tls)) {}

void Gateway::start(std::source_location where) {
    nginx_.reset();
    NginxOptions options;
    NginxServerBlock data;
    data.address = address_;
    data.port = port_;
    data.locations = {
        NginxLocation{.path = "/", .exact = true, .status = 200, .body = site_ + "\n"},
        NginxLocation{.path = kHealthPath, .exact = true, .status = 200, .body = "ok\n"}};
    options.servers.push_back(data);
    if (tls_) {
        NginxServerBlock checks;
        checks.address = address_;
        checks.port = tls_->port;
        checks.cert_file = tls_->cert_file;
        checks.key_file = tls_->key_file;
        checks.locations = {
            NginxLocation{.path = kHealthPath, .exact = true, .status = 200, .body = "ok\n"}};
        options.servers.push_back(checks);
    }
    nginx_.emplace(std::move(options), where);
}

void Gateway::kill() {
    if (nginx_) nginx_->kill();
}

// --- config ----------------------------------------------------------------------------------

LbConfig failover_config(const FailoverSetup& setup) {
    LbConfig config;
    config.retry_on_standby = setup.retry_on_standby;
    // sites and listeners stay empty: LbConfig would write them before extra_toml.
    std::ostringstream extra;
    extra << "failback = " << toml_string(setup.failback)
          << "\nfailback_after = " << toml_string(setup.failback_after) << "\n"
          << render_site("site-a", kSiteA, "primary", setup.site_a_health)
          << render_site("site-b", kSiteB, "standby", setup.site_b_health)
          << "\n[[listeners]]\nname = \"front\"\nbind = "
          << toml_string(endpoint(setup.front.ip, setup.front.port))
          << "\ntarget_port = " << setup.site_port << "\n";
    config.extra_toml = extra.str();
    const std::string rendered = config.render("/dir");
    const std::string expected_tail = std::string("[policy]\nretry_on_standby = ") +
                                      (setup.retry_on_standby ? "true" : "false") + "\n\n" +
                                      config.extra_toml + "\n";
    INFO(
        "LbConfig::render no longer ends with [policy] then extra_toml; the failover tests "
        "need another way to set [policy] and per-site health. Rendered:\n"
        << rendered);
    REQUIRE(rendered.ends_with(expected_tail));
    return config;
}

FailoverSetup default_setup(const TwoSites& sites) {
    FailoverSetup setup;
    setup.front = free_front();
    setup.site_port = sites.port;
    return setup;
}

// --- LbRun -----------------------------------------------------------------------------------

LbRun::LbRun(std::filesystem::path config, std::filesystem::path log) : log_(std::move(log)) {
    // Everything the child needs is prepared here: after fork() it may only make system calls.
    std::string binary = LB_BINARY;
    std::string run = "run";
    std::string dash_c = "-c";
    std::string config_arg = config.string();
    std::vector<char*> argv{binary.data(), run.data(), dash_c.data(), config_arg.data(), nullptr};
    const int log_fd =
        ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) throw std::system_error(errno, std::generic_category(), "open");
    const pid_t parent = ::getpid();
    sigset_t no_signals;
    sigemptyset(&no_signals);

    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
        if (::getppid() != parent) ::_exit(127);
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

LbRun::~LbRun() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

bool LbRun::running() {
    if (pid_ <= 0 || wait_status_) return false;
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_ || (rc < 0 && errno == ECHILD)) {
        wait_status_ = rc == pid_ ? status : 0;
        return false;
    }
    return true;
}

bool LbRun::wait_ready(Deadline deadline) {
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

StopResult LbRun::stop(int sig, Deadline deadline) {
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

std::string LbRun::log_text() const { return read_bytes(log_); }

std::vector<std::string> LbRun::log_lines() const { return split_lines(log_text()); }

std::optional<std::string> LbRun::wait_for_log(const std::function<bool(std::string_view)>& pred,
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
        deadline, std::chrono::milliseconds(10));
    return found;
}

// --- log lines -------------------------------------------------------------------------------

bool is_health_line(std::string_view line, std::string_view site, std::string_view state) {
    const std::string prefix = "site " + std::string(site) + " is " + std::string(state) + ": ";
    return message_of(line).starts_with(prefix);
}

bool is_failover_line(std::string_view line, std::string_view from, std::string_view to,
                      std::string_view reason) {
    static const std::regex pattern(R"(^failover: (\S+) -> (\S+) \(reason (\w+), epoch \d+\): )");
    const std::string_view message = message_of(line);
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(message.begin(), message.end(), m, pattern)) return false;
    return (from.empty() || m[1].str() == from) && (to.empty() || m[2].str() == to) &&
           (reason.empty() || m[3].str() == reason);
}

std::optional<std::int64_t> log_time_ms(std::string_view line) {
    if (line.size() < 24) return std::nullopt;
    const std::string stamp(line.substr(0, 24));
    std::tm parts{};
    int millis = 0;
    char zone = 0;
    if (std::sscanf(stamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &parts.tm_year, &parts.tm_mon,
                    &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &millis,
                    &zone) != 8 ||
        zone != 'Z')
        return std::nullopt;
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    const std::time_t seconds = ::timegm(&parts);
    return static_cast<std::int64_t>(seconds) * 1000 + millis;
}

std::size_t count_lines(const std::vector<std::string>& lines,
                        const std::function<bool(std::string_view)>& pred) {
    std::size_t n = 0;
    for (const std::string& line : lines)
        if (pred(line)) ++n;
    return n;
}

std::size_t index_of(const std::vector<std::string>& lines,
                     const std::function<bool(std::string_view)>& pred) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (pred(lines[i])) return i;
    return lines.size();
}

// --- clients ---------------------------------------------------------------------------------

const char* to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return "ok";
        case Outcome::Refused:
            return "refused";
        case Outcome::Reset:
            return "reset";
        case Outcome::NoReply:
            return "closed without a complete reply";
        case Outcome::Timeout:
            return "timeout";
        case Outcome::OtherError:
            return "error";
    }
    return "error";
}

HttpAttempt http_get(const Front& front, SteadyClock::duration timeout) {
    HttpAttempt out;
    out.start = SteadyClock::now();
    const Deadline deadline = out.start + timeout;
    const auto finish = [&out](Outcome outcome, std::string detail) {
        out.end = SteadyClock::now();
        out.outcome = outcome;
        out.detail = std::move(detail);
        return out;
    };
    int error = 0;
    Fd fd = connect_tcp(front.ip, front.port, deadline, &error);
    if (!fd) {
        const Outcome outcome = error == ECONNREFUSED ? Outcome::Refused
                                : error == ETIMEDOUT  ? Outcome::Timeout
                                                      : Outcome::OtherError;
        return finish(outcome, std::string("connect: ") + std::strerror(error));
    }
    out.client_port = local_port(fd.get());
    const IoStatus sent = send_all(
        fd.get(), "GET / HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n", deadline);
    if (sent != IoStatus::Ok)
        return finish(sent == IoStatus::Reset ? Outcome::Reset : Outcome::OtherError,
                      std::string("send: ") + to_string(sent));
    const Received got = recv_until_eof(fd.get(), deadline, 64 << 10);
    switch (got.status) {
        case IoStatus::Eof:
            break;
        case IoStatus::Reset:
            return finish(Outcome::Reset,
                          "reset after " + std::to_string(got.data.size()) + " bytes");
        case IoStatus::Timeout:
            return finish(Outcome::Timeout,
                          "no end of reply after " + std::to_string(got.data.size()) + " bytes");
        default:
            return finish(Outcome::OtherError, std::string("recv: ") + to_string(got.status));
    }
    const auto body_at = got.data.find("\r\n\r\n");
    if (!got.data.starts_with("HTTP/1.1 200 ") || body_at == std::string::npos)
        return finish(Outcome::NoReply, "reply: \"" + got.data.substr(0, 80) + "\"");
    std::string body = got.data.substr(body_at + 4);
    if (body.ends_with('\n')) body.pop_back();
    out.site = body;
    return finish(Outcome::Ok, {});
}

std::string describe(const HttpAttempt& attempt, SteadyClock::time_point origin) {
    const auto ms = [origin](SteadyClock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count();
    };
    std::ostringstream out;
    out << "[" << ms(attempt.start) << " ms .. " << ms(attempt.end) << " ms] port "
        << attempt.client_port << ": " << to_string(attempt.outcome);
    if (attempt.outcome == Outcome::Ok) out << " from " << attempt.site;
    if (!attempt.detail.empty()) out << " (" << attempt.detail << ")";
    return out.str();
}

TrafficRecorder::TrafficRecorder(Front front, std::chrono::milliseconds spacing, int max_attempts)
    : thread_([this, front, spacing, max_attempts](const std::stop_token& stop) {
          run(stop, front, spacing, max_attempts);
      }) {}

void TrafficRecorder::run(const std::stop_token& stop, Front front,
                          std::chrono::milliseconds spacing, int max_attempts) {
    auto next = SteadyClock::now();
    for (int i = 0; i < max_attempts && !stop.stop_requested(); ++i) {
        // The pace of the traffic (the stimulus), not a wait for a condition.
        std::this_thread::sleep_until(next);
        next = std::max(next + spacing, SteadyClock::now());
        HttpAttempt attempt = http_get(front, 2s);
        const std::lock_guard lock(mutex_);
        attempts_.push_back(std::move(attempt));
    }
}

void TrafficRecorder::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
}

std::vector<HttpAttempt> TrafficRecorder::attempts() const {
    const std::lock_guard lock(mutex_);
    return attempts_;
}

std::size_t TrafficRecorder::ok_count(std::string_view site) const {
    const std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const HttpAttempt& attempt : attempts_)
        if (attempt.outcome == Outcome::Ok && attempt.site == site) ++n;
    return n;
}

// --- state file ------------------------------------------------------------------------------

std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::optional<StateDocument> parse_state(const std::string& text) {
    static const std::regex pattern(
        R"re(^\{"active":"([a-z0-9-]+)","pinned":(null|"[a-z0-9-]+"),"epoch":(0|[1-9][0-9]*),)re"
        R"re("updated":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"\}\n$)re");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) return std::nullopt;
    StateDocument out;
    out.active = m[1].str();
    if (m[2].str() != "null") out.pinned = m[2].str().substr(1, m[2].str().size() - 2);
    out.epoch = std::stoull(m[3].str());
    return out;
}

StateDocument require_state(const std::filesystem::path& path,
                            const std::function<bool(const StateDocument&)>& pred,
                            std::string_view what, Deadline deadline) {
    std::optional<StateDocument> state;
    const bool found = wait_until(
        [&] {
            state = parse_state(read_bytes(path));
            return state.has_value() && pred(*state);
        },
        deadline, std::chrono::milliseconds(10));
    INFO("waiting for the state file " << path.string() << " to say: " << what);
    INFO("it says: " << read_bytes(path));
    REQUIRE(found);
    return *state;
}

}  // namespace lb::test
