// End-to-end tests of lb's log writer with stderr a pipe the test stops reading: connections go
// on as before while log lines are dropped and counted (lb_log_lines_dropped_total); once the
// reader reads again the writer says how many it dropped and logs on, every line whole; and a
// stalled reader does not hold up exit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/text_lines.h"

namespace lb::test {
namespace {

// Long names make long connection lines (~330 bytes), so a bounded number of connections
// outgrows lb's log buffer (512 KiB) and the pipe. (Functions: nothing runs at static
// initialisation, when the build lists the tests.)
const std::string& long_listener() {
    static const std::string name = "front-" + std::string(150, 'l');
    return name;
}
const std::string& long_site() {
    static const std::string name = "site-a-" + std::string(100, 's');
    return name;
}
constexpr int kMaxConnections = 12'000;  // some 4 MB of lines: far more than lb holds

// lb's stderr: a pipe the test reads only when it says so. Its capacity is one page, so what
// fills up is lb's own buffer, not the kernel's.
class StderrPipe {
public:
    StderrPipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read_end_.reset(fds[0]);
        write_end_.reset(fds[1]);
        (void)::fcntl(fds[1], F_SETPIPE_SZ, 4096);  // best effort: the test only needs it bounded
        REQUIRE(::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);  // the read end only: lb's blocks
    }

    [[nodiscard]] int write_fd() const { return write_end_.get(); }
    // Once lb runs it holds its own copy; the test's would keep the pipe open after lb exits.
    void close_write_end() { write_end_.reset(); }

    // Reads what lb writes until `pred(text())` holds (true) or the deadline passes or lb's end
    // is closed (false).
    [[nodiscard]] bool read_until(const std::function<bool(const std::string&)>& pred,
                                  Deadline deadline) {
        std::vector<char> chunk(64 << 10);
        for (;;) {
            if (pred(text_)) return true;
            if (expired(deadline)) return false;
            pollfd ready{read_end_.get(), POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            const ssize_t n = ::read(read_end_.get(), chunk.data(), chunk.size());
            if (n > 0)
                text_.append(chunk.data(), static_cast<std::size_t>(n));
            else if (n == 0)
                return pred(text_);
        }
    }
    [[nodiscard]] const std::string& text() const { return text_; }
    // The lines read so far that their "\n" ended.
    [[nodiscard]] std::vector<std::string> lines() const {
        return lines_of(text_.substr(0, text_.rfind('\n') + 1));
    }

private:
    Fd read_end_;
    Fd write_end_;
    std::string text_;
};

// A site that serves one connection at a time on its own thread: reads until EOF, sends it all
// back, closes. Enough for a client whose connections run one after another (and for lb's TCP
// checks), with no thread per connection for thousands of them.
class SequentialEcho {
public:
    explicit SequentialEcho(const std::string& ip) : listener_(listen_tcp(ip, 0, 128)) {
        REQUIRE(listener_.valid());
        port_ = local_port(listener_.get());
        thread_ = std::thread([this] { serve(); });
    }
    ~SequentialEcho() {
        stop_ = true;
        thread_.join();
    }
    SequentialEcho(const SequentialEcho&) = delete;
    SequentialEcho& operator=(const SequentialEcho&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    void serve() {
        while (!stop_) {
            pollfd ready{listener_.get(), POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd) continue;
            const Received got = recv_until_eof(fd.get(), deadline_in(5s));
            if (got.status == IoStatus::Eof) (void)send_all(fd.get(), got.data, deadline_in(5s));
        }
    }

    Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

struct RoundTrip {
    std::string failure;  // empty: the echo came back intact
    std::uint16_t client_port = 0;
};

// One connection through lb: a request, its echo, both sides closed.
RoundTrip round_trip(const Front& front, int index, Deadline deadline) {
    RoundTrip out;
    const std::string request = "request " + std::to_string(index) + " " + std::string(100, 'r');
    int error = 0;
    const Fd fd = connect_tcp(front.ip, front.port, deadline, &error);
    if (!fd) {
        out.failure = std::string("connect: ") + std::strerror(error);
        return out;
    }
    out.client_port = local_port(fd.get());
    if (send_all(fd.get(), request, deadline) != IoStatus::Ok || !shutdown_write(fd.get())) {
        out.failure = "sending the request failed";
        return out;
    }
    const Received got = recv_until_eof(fd.get(), deadline);
    if (got.status != IoStatus::Eof)
        out.failure = std::string("the reply ended with ") + to_string(got.status);
    else if (got.data != request)
        out.failure = "the reply differs (" + std::to_string(got.data.size()) + " bytes)";
    return out;
}

// lb with its stderr on a StderrPipe, a long-named listener in front of a SequentialEcho.
struct Rig {
    SequentialEcho site{kSiteA};
    Front front = free_front();
    LbConfig config;
    StderrPipe stderr_pipe;
    std::unique_ptr<LbProcess> lb;
    int connections = 0;  // made through lb so far

    Rig() {
        config.sites = {{long_site(), kSiteA, "primary"}, {"site-b", kSiteB, "standby"}};
        config.listeners = {{long_listener(), endpoint(front.ip, front.port), site.port()}};
        config.metrics_port = free_port(kClientIp);
        config.health_interval = "1s";
        config.drain_timeout = "500ms";
    }

    // Starts lb and reads its stderr until it is ready; after that the test reads nothing.
    void start() {
        SpawnOptions options;
        options.stderr_fd = stderr_pipe.write_fd();
        lb = std::make_unique<LbProcess>(config, options);
        stderr_pipe.close_write_end();
        const bool ready = stderr_pipe.read_until(
            [](const std::string& text) { return text.find(" info ready: ") != std::string::npos; },
            deadline_in(10s));
        INFO("lb's stderr:\n" << stderr_pipe.text());
        REQUIRE(ready);
    }

    [[nodiscard]] double dropped() const {
        return ops::metric(ops::scrape(config.metrics_port), "lb_log_lines_dropped_total", {});
    }

    // Connections one after another, each REQUIREd to come back intact within 5 s, until lb
    // reports dropped log lines; REQUIREs that it does within kMaxConnections.
    void connect_until_lines_dropped() {
        const auto start = SteadyClock::now();
        long long slowest_ms = 0;
        double lines_dropped = 0;
        while (lines_dropped == 0 && connections < kMaxConnections) {
            for (int i = 0; i < 100; ++i) {
                const auto began = SteadyClock::now();
                const RoundTrip trip = round_trip(front, connections++, deadline_in(5s));
                INFO("connection " << connections << " (" << elapsed_ms(began)
                                   << " ms): " << trip.failure);
                REQUIRE(trip.failure.empty());
                slowest_ms = std::max(slowest_ms, elapsed_ms(began));
            }
            lines_dropped = dropped();
        }
        INFO(connections << " connections in " << elapsed_ms(start) << " ms, the slowest took "
                         << slowest_ms << " ms");
        REQUIRE(lines_dropped > 0);
    }
};

TEST_CASE("a stderr nobody reads costs log lines, counted and reported, never connections",
          "[e2e][log][log-writer]") {
    Rig rig;
    rig.start();
    rig.connect_until_lines_dropped();
    CHECK(rig.lb->running());

    // Reading again: the writer catches up, says how many lines it dropped, and logs on.
    const bool reported = rig.stderr_pipe.read_until(
        [](const std::string& text) {
            return text.find(" lines dropped: stderr was not read fast enough\n") !=
                   std::string::npos;
        },
        deadline_in(10s));
    INFO("lb's stderr (the last 2000 bytes):\n"
         << rig.stderr_pipe.text().substr(
                rig.stderr_pipe.text().size() -
                std::min<std::size_t>(2000, rig.stderr_pipe.text().size())));
    REQUIRE(reported);
    const RoundTrip marker = round_trip(rig.front, rig.connections++, deadline_in(5s));
    REQUIRE(marker.failure.empty());
    const std::string marker_client = endpoint(kClientIp, marker.client_port) + " [";
    const bool marker_logged = rig.stderr_pipe.read_until(
        [&](const std::string& text) {
            const std::size_t at = text.find("\n" + marker_client);
            return at != std::string::npos && text.find('\n', at + 1) != std::string::npos;
        },
        deadline_in(10s));
    REQUIRE(marker_logged);

    // Every line whole: a connection line of the long-named listener, or a message line.
    const std::regex notice_line(R"(log: ([0-9]+) lines dropped: stderr was not read fast enough)");
    const std::regex message_line(
        R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z )"
        R"((debug|info|warning|error) .+)");
    std::uint64_t connection_lines = 0;
    std::uint64_t reported_dropped = 0;
    for (const std::string& line : rig.stderr_pipe.lines()) {
        INFO("line: " << line);
        if (const auto tcplog = parse_tcplog(line)) {
            CHECK(tcplog->listener == long_listener());
            CHECK(tcplog->site == long_site());
            CHECK(tcplog->term == "--");
            ++connection_lines;
            continue;
        }
        CHECK(std::regex_match(line, message_line));
        std::smatch notice;
        if (std::regex_search(line, notice, notice_line))
            reported_dropped += std::stoull(notice[1]);
    }
    const auto connections = static_cast<std::uint64_t>(rig.connections);
    INFO(connections << " connections, " << connection_lines << " connection lines, "
                     << reported_dropped << " lines reported dropped");
    CHECK(connection_lines < connections);
    // Each connection's line was written or counted (dropped lines might include others).
    CHECK(connection_lines + reported_dropped >= connections);
    CHECK(rig.dropped() == static_cast<double>(reported_dropped));
}

TEST_CASE("a stalled stderr does not hold up exit: lb stops within its flush deadline",
          "[e2e][log][log-writer][signal]") {
    Rig rig;
    rig.start();
    rig.connect_until_lines_dropped();  // the writer is stuck in write(2), the buffer full

    const StopResult stopped = rig.lb->stop(SIGTERM, deadline_in(15s));
    INFO("exit after " << stopped.took_ms << " ms, code " << stopped.exit_code << ", signal "
                       << stopped.signal);
    CHECK(stopped.exited_in_time);
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.took_ms < 10'000);  // 2 s of flushing at most, plus the stop itself
}

}  // namespace
}  // namespace lb::test
