// A real `lb run -c FILE` for end-to-end tests; see lb_process.h. The child gets the test's
// rlimits, a fresh signal mask, stdout/stderr on one log in the workspace, and dies with the test.
#include "tests/support/lb_binary.h"
#include "tests/support/lb_process.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/json_reader.h"
#include "tests/support/test_sockets.h"

namespace lb::test {

namespace {

std::vector<std::string> run_args(const LbWorkspace& workspace) {
    return {lb_binary(), "run", "-c", workspace.config_path().string()};
}

std::unique_ptr<LbWorkspace> workspace_with(const LbConfig& config) {
    auto workspace = std::make_unique<LbWorkspace>();
    workspace->write_config(config);
    return workspace;
}

}  // namespace

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string LbConfig::render(const std::filesystem::path& state_file,
                             const std::filesystem::path& admin_socket) const {
    std::ostringstream out;
    out << "[global]\nworkers = " << workers << "\nmax_connections = " << max_connections
        << "\nstate_file = "
        << toml_string((state_file_path.empty() ? state_file : state_file_path).string())
        << "\nlog_format = " << toml_string(log_format) << "\n";
    if (const char* extra = std::getenv("LB_TEST_EXTRA_GLOBAL"); extra != nullptr)
        out << extra << "\n";
    out << "\n[admin]\nsocket = " << toml_string(admin_socket.string()) << "\n";
    if (!admin_mode.empty()) out << "mode = " << toml_string(admin_mode) << "\n";
    out << "\n[metrics]\nlisten = "
        << toml_string(metrics_port == 0 ? std::string() : endpoint("127.0.0.1", metrics_port))
        << "\n";
    out << "\n[timeouts]\nconnect = " << toml_string(connect_timeout)
        << "\nidle = " << toml_string(idle_timeout) << "\n";
    if (drain_timeout) out << "drain = " << toml_string(*drain_timeout) << "\n";
    out << "\n[health]\nkind = \"tcp\"\ninterval = " << toml_string(health_interval)
        << "\ntimeout = " << toml_string(health_timeout) << "\n";
    if (rise) out << "rise = " << *rise << "\n";
    if (fall) out << "fall = " << *fall << "\n";
    out << "\n[policy]\n";
    if (failback) out << "failback = " << toml_string(*failback) << "\n";
    if (failback_after) out << "failback_after = " << toml_string(*failback_after) << "\n";
    out << "retry_on_standby = " << (retry_on_standby ? "true" : "false") << "\n";
    for (const SiteSpec& site : sites) {
        out << "\n[[sites]]\nname = " << toml_string(site.name)
            << "\naddress = " << toml_string(site.address) << "\nrole = " << toml_string(site.role)
            << "\n";
        if (!site.health_toml.empty()) out << "\n[sites.health]\n" << site.health_toml << "\n";
    }
    for (const ListenerSpec& listener : listeners)
        out << "\n[[listeners]]\nname = " << toml_string(listener.name)
            << "\nbind = " << toml_string(listener.bind)
            << "\ntarget_port = " << listener.target_port << "\n"
            << (listener.proxy_protocol.empty()
                    ? std::string()
                    : "proxy_protocol = " + toml_string(listener.proxy_protocol) + "\n");
    if (!extra_toml.empty()) out << "\n" << extra_toml << "\n";
    return out.str();
}

void LbWorkspace::write_config(const LbConfig& config) const {
    write_file(config_path(), config.render(state_file(), admin_socket()));
}

std::filesystem::path LbWorkspace::next_log() {
    ++launched_;
    return dir() /
           (launched_ == 1 ? std::string("lb.log") : "lb-" + std::to_string(launched_) + ".log");
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

LbProcess::LbProcess(const LbConfig& config, const SpawnOptions& options)
    : own_workspace_(workspace_with(config)),
      workspace_(*own_workspace_),
      log_(workspace_.next_log()),
      process_(run_args(workspace_), log_, log_, options) {}

LbProcess::LbProcess(LbWorkspace& workspace, const SpawnOptions& options)
    : workspace_(workspace),
      log_(workspace_.next_log()),
      process_(run_args(workspace_), log_, log_, options) {}

LbProcess::~LbProcess() {
    if (running()) (void)terminate();
    const std::vector<std::string> reports = sanitizer_reports();
    for (const std::string& report : reports) UNSCOPED_INFO("lb log " << log_ << ": " << report);
    CHECK(reports.empty());
}

StopResult LbProcess::terminate() {
    const auto start = std::chrono::steady_clock::now();
    process_.signal(SIGTERM);
    if (auto exit = process_.wait_exit(deadline_in(std::chrono::seconds(2)))) return *exit;
    StopResult out = process_.stop(SIGTERM, deadline_in(std::chrono::seconds(30)));
    out.took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    return out;
}

std::vector<std::string> LbProcess::sanitizer_reports() const {
    std::vector<std::string> out;
    for (const std::string& line : log_lines())
        if (line.find("ERROR: AddressSanitizer") != std::string::npos ||
            line.find("ERROR: LeakSanitizer") != std::string::npos ||
            line.find("runtime error:") != std::string::npos)
            out.push_back(line);
    return out;
}

bool LbProcess::wait_ready(Deadline deadline) {
    bool gone = false;
    const bool ready = wait_until(
        [&] {
            for (const std::string& line : log_lines())
                if (message_starts_with(line, "ready: ")) return true;
            gone = !running();
            return gone;
        },
        deadline, std::chrono::milliseconds(10));
    return ready && !gone;
}

std::string LbProcess::config_text() const { return read_file(config_path()); }

std::string LbProcess::log_text() const { return read_file(log_); }

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

std::size_t LbProcess::count_log(const std::function<bool(std::string_view)>& pred) const {
    std::size_t n = 0;
    for (const std::string& line : log_lines())
        if (pred(line)) ++n;
    return n;
}

std::optional<std::string> LbProcess::wait_for_log(
    const std::function<bool(std::string_view)>& pred, Deadline deadline, std::size_t n) const {
    std::optional<std::string> found;
    (void)wait_until(
        [&] {
            std::size_t seen = 0;
            for (const std::string& line : log_lines())
                if (pred(line) && ++seen == n) {
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
    std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return std::nullopt;
}

std::optional<std::uint64_t> LbProcess::cpu_ticks() const {
    const std::string stat = read_file("/proc/" + std::to_string(pid()) + "/stat");
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
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid()) + "/fd", error);
    if (error) return std::nullopt;
    std::size_t count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error) return std::nullopt;
        ++count;
    }
    return count;
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

std::string log_level(std::string_view line) {
    if (line.starts_with("{")) {
        const json::ParseResult parsed = json::parse(line);
        if (!parsed.value || !parsed.value->is_object()) return {};
        return (*parsed.value)["level"].string();
    }
    // "2026-11-25T08:12:16.078Z warning failover: ...": a connection line has no such stamp.
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space < 20 || line[space - 1] != 'Z') return {};
    line.remove_prefix(space + 1);
    return std::string(line.substr(0, line.find(' ')));
}

std::optional<std::size_t> open_pipes(pid_t pid) {
    const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code error;
    std::filesystem::directory_iterator it(dir, error);
    if (error) return std::nullopt;
    std::size_t count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error) return std::nullopt;
        std::error_code gone;  // an fd closed since the listing is skipped
        const std::filesystem::path target = std::filesystem::read_symlink(it->path(), gone);
        if (!gone && target.string().starts_with("pipe:")) ++count;
    }
    return count;
}

std::string describe_fds(pid_t pid) {
    const std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code error;
    std::filesystem::directory_iterator it(dir, error);
    std::string out;
    for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
        std::error_code gone;
        const std::filesystem::path target = std::filesystem::read_symlink(it->path(), gone);
        if (!gone) out += it->path().filename().string() + " -> " + target.string() + "\n";
    }
    return out;
}

}  // namespace lb::test
