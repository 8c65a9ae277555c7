// Shared setup for the health and failover end-to-end tests: two real NGINX gateways (site-a on
// 127.0.0.2, site-b on 127.0.0.3, the same port, each answering GET / with its own name and
// /health with 200), an lb in front of them with HTTP(S) checks on every site, an HTTP/1.1
// client, and the log lines (README.md) the tests wait for. Every process dies with its owner.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/lb_process.h"
#include "tests/support/nginx_server.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test {

inline constexpr const char* kHealthPath = "/health";

// A port free on every address (bound on 0.0.0.0), so both gateways can share it.
[[nodiscard]] std::uint16_t free_port_everywhere();

// --- gateways ------------------------------------------------------------------------------

// The health port of a gateway that serves its checks over TLS.
struct GatewayTls {
    std::uint16_t port = 0;
    std::string cert_file;
    std::string key_file;
};

// One site's application gateway: a real NGINX with "GET /" answering the site's name and
// "GET /health" answering 200, on a fixed port so that it can die (kill(), SIGKILL, a crash)
// and come back (start()) at the same address. With `tls`, /health is also served over TLS on
// tls->port (a second server block).
class Gateway {
public:
    Gateway(std::string site, std::string address, std::uint16_t port,
            std::optional<GatewayTls> tls = std::nullopt);
    // Starts NGINX and waits until it accepts; fails the test if it cannot (NginxServer).
    void start(std::source_location where = std::source_location::current());
    void kill();  // SIGKILL and reap; idempotent
    // With `tls`: one line per request on the TLS port, "SERVER_NAME URI" (the SNI the client
    // sent, "-" if none), in arrival order.
    [[nodiscard]] std::vector<std::string> tls_requests() const;
    [[nodiscard]] bool running() const { return nginx_.has_value() && nginx_->running(); }
    [[nodiscard]] const std::string& site() const { return site_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    std::string site_;
    std::string address_;
    std::uint16_t port_;
    std::optional<GatewayTls> tls_;
    std::optional<NginxServer> nginx_;
};

// The two gateways of a test, on one port free on both addresses; not started.
struct TwoSites {
    explicit TwoSites(const std::optional<GatewayTls>& tls = std::nullopt)
        : port(free_port_everywhere()),
          a("site-a", kSiteA, port, tls),
          b("site-b", kSiteB, port, tls) {}
    std::uint16_t port;
    Gateway a;
    Gateway b;
};

// --- lb configuration ----------------------------------------------------------------------

// One site's [sites.health] table; every key is written, so [health]'s values never matter.
struct SiteHealthToml {
    std::string kind = "http";
    std::optional<std::uint16_t> port;  // unset: the listener's target port
    std::string path = kHealthPath;
    std::string host = "gateway";
    std::optional<std::string> verify;  // https only
    std::optional<std::string> ca_file;
    std::string interval = "200ms";
    std::string timeout = "150ms";  // shorter than interval, or lb warns (a loopback check: ~1 ms)
    int rise = 2;
    int fall = 2;
    std::optional<std::string> passive_window;  // unset: lb's default
};

struct FailoverSetup {
    Front front;
    std::uint16_t site_port = 0;  // where both gateways listen
    SiteHealthToml site_a_health;
    SiteHealthToml site_b_health;
    std::string failback = "manual";
    std::string failback_after = "60s";
    bool retry_on_standby = true;
};

// The LbConfig for `setup`: listener "front" → site-a (127.0.0.2, primary) / site-b
// (127.0.0.3, standby) on site_port, with per-site health checks and the [policy] keys.
[[nodiscard]] LbConfig failover_config(const FailoverSetup& setup);

// The usual setup in front of `sites`: HTTP checks of /health every 200 ms, rise 2, fall 2,
// failback manual, retry_on_standby; the front on 127.0.0.1:<free port>.
[[nodiscard]] FailoverSetup default_setup(const TwoSites& sites);

// --- log lines -----------------------------------------------------------------------------

// "... info site site-a is up: http 200" (state "up" or "down").
[[nodiscard]] bool is_health_line(std::string_view line, std::string_view site,
                                  std::string_view state);
// "... warning failover: site-a -> site-b (reason health, epoch 1): ..."; empty `from`, `to`
// or `reason` match any.
[[nodiscard]] bool is_failover_line(std::string_view line, std::string_view from = {},
                                    std::string_view to = {}, std::string_view reason = {});
// Wall-clock milliseconds since the epoch from the line's leading "2026-11-25T08:12:16.078Z".
[[nodiscard]] std::optional<std::int64_t> log_time_ms(std::string_view line);
[[nodiscard]] std::size_t count_lines(const std::vector<std::string>& lines,
                                      const std::function<bool(std::string_view)>& pred);
// The index of the first line satisfying `pred`, or lines.size().
[[nodiscard]] std::size_t index_of(const std::vector<std::string>& lines,
                                   const std::function<bool(std::string_view)>& pred);

// Waits for the `n`th log line (1-based) satisfying `pred`; fails the test with `what` and the
// whole log when the deadline passes first.
std::string require_log(const LbProcess& lb, const std::function<bool(std::string_view)>& pred,
                        std::string_view what, std::size_t n = 1,
                        Deadline deadline = deadline_in(10s));
// The `n`th "site SITE is STATE: ..." line.
std::string require_health(const LbProcess& lb, std::string_view site, std::string_view state,
                           std::size_t n = 1);
// The `n`th "failover: FROM -> TO (reason REASON, ...)" line.
std::string require_failover(const LbProcess& lb, std::string_view from, std::string_view to,
                             std::string_view reason, std::size_t n = 1);

// --- clients -------------------------------------------------------------------------------

enum class Outcome { Ok, Refused, Reset, NoReply, Timeout, OtherError };
[[nodiscard]] const char* to_string(Outcome outcome);

// One "GET / HTTP/1.1" with "Connection: close" on a new connection through lb.
struct HttpAttempt {
    SteadyClock::time_point start;
    SteadyClock::time_point end;
    Outcome outcome = Outcome::OtherError;
    std::string site;               // Ok: the site that answered (the reply's body)
    std::uint16_t client_port = 0;  // 0: the connection to lb was never established
    std::string detail;             // what went wrong, for messages
};
[[nodiscard]] HttpAttempt http_get(const Front& front, SteadyClock::duration timeout = 3s);
[[nodiscard]] std::string describe(const HttpAttempt& attempt, SteadyClock::time_point origin);

// `count` requests one after the other; every answer must come from `site`. Returns the
// attempts (for their client ports). Fails the test with the attempt and the log otherwise.
std::vector<HttpAttempt> require_answers(const Front& front, const LbProcess& lb,
                                         std::string_view site, int count);

// A client thread that opens a new connection every `spacing` and does one GET on it, one
// request at a time (a slow one delays the next: at most one is ever in flight), recording
// every attempt until stop(). Bounded: at most `max_attempts`.
class TrafficRecorder {
public:
    TrafficRecorder(Front front, std::chrono::milliseconds spacing, int max_attempts = 5000);
    ~TrafficRecorder() { stop(); }
    TrafficRecorder(const TrafficRecorder&) = delete;
    TrafficRecorder& operator=(const TrafficRecorder&) = delete;

    void stop();  // joins the thread; idempotent
    [[nodiscard]] std::vector<HttpAttempt> attempts() const;
    [[nodiscard]] std::size_t ok_count(std::string_view site) const;

private:
    void run(const std::stop_token& stop, Front front, std::chrono::milliseconds spacing,
             int max_attempts);

    mutable std::mutex mutex_;
    std::vector<HttpAttempt> attempts_;
    std::jthread thread_;  // last: joined before the members it uses are destroyed
};

// --- the state file ------------------------------------------------------------------------

// The state file's fields, if `text` is exactly the document lb writes:
// {"active":"site-b","pinned":null,"epoch":1,"updated":"2026-11-25T08:12:17Z"}
struct StateDocument {
    std::string active;
    std::optional<std::string> pinned;
    std::uint64_t epoch = 0;
};
[[nodiscard]] std::optional<StateDocument> parse_state(const std::string& text);

// Waits until the state file at `path` parses and satisfies `pred`: lb publishes a decision
// before it persists it (new connections must not wait for an fsync), so the file may lag the
// traffic by a moment. Fails the test with the file's text when the deadline passes.
StateDocument require_state(const std::filesystem::path& path,
                            const std::function<bool(const StateDocument&)>& pred,
                            std::string_view what, Deadline deadline = deadline_in(5s));

}  // namespace lb::test
