// A client that opens a NEW TCP connection to one address every few milliseconds (10 ms by
// default) on a thread of its own, inside a named network namespace, sends an HTTP/1.0 request
// and reads the reply to its end; it records every attempt (when it started, how it ended, the
// reply's body), so a scenario can count failed connects and measure the gap of a takeover.
// Attempts overlap: a slow one never delays the next, so an outage costs one failure per period.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lb::test {

enum class ProbeOutcome {
    Ok,        // a complete reply starting "HTTP/1." before the deadline
    Refused,   // the connect was refused (RST: the address is there, nobody listens)
    Reset,     // reset after the connect
    Timeout,   // no complete reply before the attempt's deadline (a SYN or reply lost)
    BadReply,  // the connection ended with something that is not an HTTP reply
    Error,     // any other errno (unreachable, ...)
};
// "ok" | "refused" | "reset" | "timeout" | "bad_reply" | "error".
[[nodiscard]] std::string_view to_string(ProbeOutcome outcome);

struct ProbeAttempt {
    std::chrono::steady_clock::time_point start;
    std::chrono::microseconds took{0};  // to the reply's end, or to the failure
    ProbeOutcome outcome = ProbeOutcome::Error;
    // The TCP handshake completed: a failure after it is a connection broken in flight (the
    // VIP moved under it), one before it a failed connect.
    bool connected = false;
    int error = 0;     // errno, for Refused, Reset and Error
    std::string body;  // Ok: the reply's body without its trailing newline ("site-a")

    [[nodiscard]] bool ok() const { return outcome == ProbeOutcome::Ok; }
};

class ClientProber {
public:
    struct Options {
        std::string netns;  // where the connections start from; empty: the caller's
        std::string ip;     // IPv4 or IPv6, numeric
        std::uint16_t port = 0;
        std::chrono::milliseconds every{10};
        // An attempt without a complete reply by then failed. Shorter than the kernel's first
        // SYN retransmission (1 s), so a SYN sent to a host that dropped it counts as a failure.
        std::chrono::milliseconds timeout{300};
        std::string request = "GET / HTTP/1.0\r\n\r\n";
    };

    // Starts at once. Throws std::system_error when the thread cannot enter the namespace.
    explicit ClientProber(Options options);
    // stop().
    ~ClientProber();
    ClientProber(const ClientProber&) = delete;
    ClientProber& operator=(const ClientProber&) = delete;

    // Starts no more attempts, lets those in flight end (at most `timeout`), joins. Idempotent.
    void stop();
    // The attempts that have ended so far, in order of their start.
    [[nodiscard]] std::vector<ProbeAttempt> attempts() const;
    // The attempts started at or after `since` that have ended, in order of their start.
    [[nodiscard]] std::vector<ProbeAttempt> attempts_since(
        std::chrono::steady_clock::time_point since) const;
    // Whether every attempt started before `when` has ended (each ends within `timeout`), so
    // that a summary up to `when` misses none.
    [[nodiscard]] bool ended_before(std::chrono::steady_clock::time_point when) const;

private:
    void run() noexcept;
    void record(ProbeAttempt attempt);
    void started(std::chrono::steady_clock::time_point at);

    Options options_;
    int stop_fd_ = -1;
    std::string start_error_;  // set by the thread when it could not start
    mutable std::mutex mutex_;
    std::vector<ProbeAttempt> attempts_;
    std::multiset<std::chrono::steady_clock::time_point> in_flight_;  // their starts
    std::chrono::steady_clock::time_point last_started_{};
    bool running_ = true;
    std::thread thread_;
};

// What the attempts started in [from, to) say.
struct ProbeSummary {
    std::size_t total = 0;
    std::size_t failed = 0;                // every attempt without its reply
    std::size_t failed_to_connect = 0;     // of those, the ones whose handshake never completed
    std::size_t broken_after_connect = 0;  // the others
    std::map<std::string, std::size_t> outcomes;  // by to_string(outcome)
    std::map<std::string, std::size_t> bodies;    // successful replies by body (the site)
    std::optional<std::chrono::steady_clock::time_point> first_failure;
    std::optional<std::chrono::steady_clock::time_point> last_failure;
    // From the start of the first failed attempt to the start of the last one: the takeover gap
    // as clients saw it (0 with one failure or none).
    long long gap_ms = 0;
    // Successful attempts after the last failure (0 when the window ends in failures).
    std::size_t ok_after_last_failure = 0;
};
[[nodiscard]] ProbeSummary summarize(const std::vector<ProbeAttempt>& attempts,
                                     std::chrono::steady_clock::time_point from,
                                     std::chrono::steady_clock::time_point to);
// "failed 3 of 210 (timeout 3; 1 after connecting), gap 20 ms; replies site-a 207"
[[nodiscard]] std::string describe(const ProbeSummary& summary);

}  // namespace lb::test
