// Gateways, config, log parsing and HTTP clients for the failover tests; see
// failover_fixture.h.
#include "tests/e2e/failover_fixture.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <regex>
#include <sstream>

namespace lb::test {
namespace {

// The keys of a [sites.health] table: every one written, so [health]'s values never matter.
std::string site_health_toml(const SiteHealthToml& health) {
    std::ostringstream out;
    out << "kind = " << toml_string(health.kind) << "\n";
    if (health.port) out << "port = " << *health.port << "\n";
    if (health.kind != "tcp")
        out << "path = " << toml_string(health.path) << "\nhost = " << toml_string(health.host)
            << "\n";
    if (health.verify) out << "verify = " << toml_string(*health.verify) << "\n";
    if (health.ca_file) out << "ca_file = " << toml_string(*health.ca_file) << "\n";
    out << "interval = " << toml_string(health.interval)
        << "\ntimeout = " << toml_string(health.timeout) << "\nrise = " << health.rise
        << "\nfall = " << health.fall << "\n";
    if (health.passive_window)
        out << "passive_window = " << toml_string(*health.passive_window) << "\n";
    return out.str();
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
        // Each request's SNI, as the server saw it ("-" without one); relative to the prefix.
        checks.extra = "access_log tls-requests.log server_names;";
        options.extra_http = "log_format server_names '$ssl_server_name $request_uri';";
        options.servers.push_back(checks);
    }
    nginx_.emplace(std::move(options), where);
}

std::vector<std::string> Gateway::tls_requests() const {
    std::vector<std::string> out;
    if (!nginx_) return out;
    std::istringstream lines(
        read_file(std::filesystem::path(nginx_->prefix()) / "tls-requests.log"));
    for (std::string line; std::getline(lines, line);) out.push_back(line);
    return out;
}

void Gateway::kill() {
    if (nginx_) nginx_->kill();
}

// --- config ----------------------------------------------------------------------------------

LbConfig failover_config(const FailoverSetup& setup) {
    LbConfig config;
    config.failback = setup.failback;
    config.failback_after = setup.failback_after;
    config.retry_on_standby = setup.retry_on_standby;
    config.sites = {{"site-a", kSiteA, "primary", site_health_toml(setup.site_a_health)},
                    {"site-b", kSiteB, "standby", site_health_toml(setup.site_b_health)}};
    config.listeners = {{"front", endpoint(setup.front.ip, setup.front.port), setup.site_port}};
    return config;
}

FailoverSetup default_setup(const TwoSites& sites) {
    FailoverSetup setup;
    setup.front = free_front();
    setup.site_port = sites.port;
    return setup;
}

// --- log lines -------------------------------------------------------------------------------

bool is_health_line(std::string_view line, std::string_view site, std::string_view state) {
    const std::string prefix = "site " + std::string(site) + " is " + std::string(state) + ": ";
    return message_starts_with(line, prefix);
}

bool is_failover_line(std::string_view line, std::string_view from, std::string_view to,
                      std::string_view reason) {
    static const std::regex pattern(R"(^failover: (\S+) -> (\S+) \(reason (\w+), epoch \d+\): )");
    const std::string message = log_message(line);
    std::smatch m;
    if (!std::regex_search(message, m, pattern)) return false;
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

std::string require_log(const LbProcess& lb, const std::function<bool(std::string_view)>& pred,
                        std::string_view what, std::size_t n, Deadline deadline) {
    const std::optional<std::string> found = lb.wait_for_log(pred, deadline, n);
    INFO("waiting for log line #" << n << ": " << what);
    INFO("lb log:\n" << lb.log_text());
    REQUIRE(found.has_value());
    return *found;
}

std::string require_health(const LbProcess& lb, std::string_view site, std::string_view state,
                           std::size_t n) {
    return require_log(
        lb, [&](std::string_view line) { return is_health_line(line, site, state); },
        "site " + std::string(site) + " is " + std::string(state), n);
}

std::string require_failover(const LbProcess& lb, std::string_view from, std::string_view to,
                             std::string_view reason, std::size_t n) {
    return require_log(
        lb, [&](std::string_view line) { return is_failover_line(line, from, to, reason); },
        "failover: " + std::string(from) + " -> " + std::string(to) + " (reason " +
            std::string(reason) + ")",
        n);
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

std::vector<HttpAttempt> require_answers(const Front& front, const LbProcess& lb,
                                         std::string_view site, int count) {
    std::vector<HttpAttempt> out;
    for (int i = 0; i < count; ++i) {
        HttpAttempt attempt = http_get(front);
        INFO("request " << i << ": " << describe(attempt, attempt.start));
        INFO("lb log:\n" << lb.log_text());
        REQUIRE(attempt.outcome == Outcome::Ok);
        REQUIRE(attempt.site == site);
        out.push_back(std::move(attempt));
    }
    return out;
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
            state = parse_state(read_file(path));
            return state.has_value() && pred(*state);
        },
        deadline, std::chrono::milliseconds(10));
    INFO("waiting for the state file " << path.string() << " to say: " << what);
    INFO("it says: " << read_file(path));
    REQUIRE(found);
    return *state;
}

}  // namespace lb::test
