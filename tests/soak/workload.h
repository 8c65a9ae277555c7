// The soak test's clients: a mix of connection kinds through lb, each on its own threads until the
// run's end, each connection checked end to end (the echo sites send back every byte; a checksum
// of what came back must equal that of what was sent). Kinds: bulk streams (MiBs both ways), short
// request/response connections, idle connections held open for seconds, slow readers, client
// resets (SO_LINGER 0) and connections the site resets on request.
//
// A connection that fails while a disruption is on (the test stops a site: its connections die
// with it) is excused and counted apart; any other failure is a failure of the run. Client resets
// and site resets are deliberate: their bytes count apart from those of intact connections.
// Every loop is bounded by the run's end and a per-kind count; every wait has a deadline.
// Threads only count and record; the test thread asserts.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test::soak {

enum class Kind { Bulk, Short, Idle, SlowReader, ClientReset, SiteReset };
inline constexpr std::size_t kKinds = 6;
[[nodiscard]] const char* to_string(Kind kind);

struct KindTally {
    std::uint64_t started = 0;    // connect attempts
    std::uint64_t ok = 0;         // ended as expected, every byte checked
    std::uint64_t excused = 0;    // failed during a disruption (a site stopped)
    std::uint64_t failed = 0;     // failed otherwise: the run fails
    std::uint64_t disrupted = 0;  // open at some time during a disruption, however it ended
};

struct WorkloadTally {
    KindTally kinds[kKinds];
    std::uint64_t connected = 0;    // connects that succeeded (lb accepted or will)
    std::uint64_t sent = 0;         // bytes the clients sent, all connections
    std::uint64_t received = 0;     // bytes the clients received, all connections
    std::uint64_t intact_sent = 0;  // ... on connections that ended as expected, not resets
    std::uint64_t intact_received = 0;
    std::uint64_t max_idle_open = 0;  // idle connections held at once, at most
};

struct WorkloadSettings {
    std::string ip = "127.0.0.1";
    std::uint16_t port = 0;
    int bulk_threads = 2;
    std::uint64_t bulk_bytes = 4ULL << 20;  // each way, per bulk connection
    int short_threads = 2;
    int idle_connections = 32;               // held open at once
    std::uint64_t slow_bytes = 256 << 10;    // each way, per slow-reader connection
    std::uint64_t max_per_kind = 1'000'000;  // connections per kind and thread, at most
};

class Workload {
public:
    explicit Workload(WorkloadSettings settings);
    ~Workload();  // stop() and join
    Workload(const Workload&) = delete;
    Workload& operator=(const Workload&) = delete;

    void start();
    // No new connection from now on; joins every thread (each connection ends within its own
    // deadlines).
    void stop();

    // Connections that fail between these two calls, or that were open at any time between
    // them, are excused.
    void disruption_begins();
    void disruption_ends();

    [[nodiscard]] WorkloadTally tally() const;
    [[nodiscard]] std::vector<std::string> failures() const;  // the first 50

private:
    struct Outcome;
    void run(Kind kind, int thread_index);
    void run_idle();
    void finish(Kind kind, SteadyClock::time_point started, const Outcome& outcome);
    // True if a connection started then was open at some time during the disruption (it ends
    // now, so after the disruption began if that began at all).
    [[nodiscard]] bool excused(SteadyClock::time_point started) const;
    // Waits up to `pause` unless stop() comes first; false once stopping.
    bool pace(std::chrono::milliseconds pause);

    [[nodiscard]] Outcome bulk(std::uint64_t n);
    [[nodiscard]] Outcome short_exchange(std::uint64_t n);
    [[nodiscard]] Outcome slow_reader(std::uint64_t n);
    [[nodiscard]] Outcome client_reset(std::uint64_t n);
    [[nodiscard]] Outcome site_reset();
    [[nodiscard]] Fd connect(Kind kind, std::string& error);
    // Sends `message` and expects it back; counts both in `out`, says why not in out.what.
    [[nodiscard]] bool echo(int fd, std::string_view message, Outcome& out);

    WorkloadSettings settings_;
    Payload bulk_payload_;
    Payload slow_payload_;
    Payload reset_payload_;

    std::atomic<bool> stopping_{false};
    std::mutex pace_mutex_;
    std::condition_variable pace_cv_;
    std::vector<std::thread> threads_;

    // A disruption: the steady-clock nanoseconds it began and ended (0: not yet).
    std::atomic<std::int64_t> disruption_begin_{0};
    std::atomic<std::int64_t> disruption_end_{0};

    mutable std::mutex mutex_;  // everything below
    WorkloadTally tally_;
    std::vector<std::string> failures_;
};

}  // namespace lb::test::soak
