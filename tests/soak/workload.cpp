// The soak test's clients; see workload.h.
#include "tests/soak/workload.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <utility>

#include "tests/soak/site_server.h"

namespace lb::test::soak {
namespace {

using namespace std::chrono_literals;

std::int64_t ticks(SteadyClock::time_point at) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

// Pauses between two connections of one thread: they keep the mix at a rate two shared cores
// sustain for ten minutes, and the client's ports out of TIME_WAIT exhaustion.
constexpr auto kBulkPause = 50ms;
constexpr auto kShortPause = 10ms;
constexpr auto kSlowPause = 20ms;
constexpr auto kResetPause = 20ms;
constexpr auto kIdleTick = 100ms;
// A slow reader reads at most this much per tick.
constexpr std::size_t kSlowChunk = 4096;
constexpr auto kSlowTick = 5ms;
// A client reset: this much sent, this much of its echo read, then SO_LINGER 0 and close.
constexpr std::size_t kResetSent = 64 << 10;
constexpr std::size_t kResetRead = 16 << 10;

}  // namespace

const char* to_string(Kind kind) {
    switch (kind) {
        case Kind::Bulk:
            return "bulk";
        case Kind::Short:
            return "short";
        case Kind::Idle:
            return "idle";
        case Kind::SlowReader:
            return "slow-reader";
        case Kind::ClientReset:
            return "client-reset";
        case Kind::SiteReset:
            return "site-reset";
    }
    return "?";
}

struct Workload::Outcome {
    bool ok = false;
    bool deliberate = false;  // a reset by design: its bytes are not "intact"
    std::string what;         // why it failed
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
};

Workload::Workload(WorkloadSettings settings)
    : settings_(std::move(settings)),
      bulk_payload_(Payload::random(settings_.bulk_bytes, 0x50a4)),
      slow_payload_(Payload::random(settings_.slow_bytes, 0x510e)),
      reset_payload_(Payload::random(kResetSent, 0x4e5e)) {}

Workload::~Workload() { stop(); }

void Workload::start() {
    for (int i = 0; i < settings_.bulk_threads; ++i)
        threads_.emplace_back([this, i] { run(Kind::Bulk, i); });
    for (int i = 0; i < settings_.short_threads; ++i)
        threads_.emplace_back([this, i] { run(Kind::Short, i); });
    threads_.emplace_back([this] { run_idle(); });
    threads_.emplace_back([this] { run(Kind::SlowReader, 0); });
    threads_.emplace_back([this] { run(Kind::ClientReset, 0); });
    threads_.emplace_back([this] { run(Kind::SiteReset, 0); });
}

void Workload::stop() {
    {
        const std::lock_guard lock(pace_mutex_);
        stopping_.store(true);
    }
    pace_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
}

bool Workload::pace(std::chrono::milliseconds pause) {
    std::unique_lock lock(pace_mutex_);
    pace_cv_.wait_for(lock, pause, [this] { return stopping_.load(); });
    return !stopping_.load();
}

void Workload::disruption_begins() { disruption_begin_.store(ticks(SteadyClock::now())); }
void Workload::disruption_ends() { disruption_end_.store(ticks(SteadyClock::now())); }

bool Workload::excused(SteadyClock::time_point started) const {
    const std::int64_t begin = disruption_begin_.load();
    const std::int64_t end = disruption_end_.load();
    return begin != 0 && (end == 0 || ticks(started) <= end);
}

WorkloadTally Workload::tally() const {
    const std::lock_guard lock(mutex_);
    return tally_;
}

std::vector<std::string> Workload::failures() const {
    const std::lock_guard lock(mutex_);
    return failures_;
}

void Workload::finish(Kind kind, SteadyClock::time_point started, const Outcome& outcome) {
    const bool disrupted = excused(started);
    const bool excuse = !outcome.ok && disrupted;
    const std::lock_guard lock(mutex_);
    KindTally& k = tally_.kinds[static_cast<std::size_t>(kind)];
    if (disrupted) ++k.disrupted;
    tally_.sent += outcome.sent;
    tally_.received += outcome.received;
    if (outcome.ok) {
        ++k.ok;
        if (!outcome.deliberate) {
            tally_.intact_sent += outcome.sent;
            tally_.intact_received += outcome.received;
        }
    } else if (excuse) {
        ++k.excused;
    } else {
        ++k.failed;
        if (failures_.size() < 50)
            failures_.push_back(std::string(to_string(kind)) + ": " + outcome.what + " (after " +
                                std::to_string(elapsed_ms(started)) + " ms)");
    }
}

Fd Workload::connect(Kind kind, std::string& error) {
    {
        const std::lock_guard lock(mutex_);
        ++tally_.kinds[static_cast<std::size_t>(kind)].started;
    }
    int err = 0;
    Fd fd = connect_tcp(settings_.ip, settings_.port, deadline_in(5s), &err);
    if (!fd) {
        error = std::string("connect: ") + std::strerror(err);
        return fd;
    }
    const std::lock_guard lock(mutex_);
    ++tally_.connected;
    return fd;
}

void Workload::run(Kind kind, int thread_index) {
    const auto pause = kind == Kind::Bulk         ? kBulkPause
                       : kind == Kind::Short      ? kShortPause
                       : kind == Kind::SlowReader ? kSlowPause
                                                  : kResetPause;
    for (std::uint64_t n = 0; n < settings_.max_per_kind && !stopping_.load(); ++n) {
        const auto started = SteadyClock::now();
        const std::uint64_t id = n * 16 + static_cast<std::uint64_t>(thread_index);
        Outcome outcome;
        switch (kind) {
            case Kind::Bulk:
                outcome = bulk(id);
                break;
            case Kind::Short:
                outcome = short_exchange(id);
                break;
            case Kind::SlowReader:
                outcome = slow_reader(id);
                break;
            case Kind::ClientReset:
                outcome = client_reset(id);
                break;
            case Kind::SiteReset:
                outcome = site_reset();
                break;
            case Kind::Idle:
                return;  // run_idle()
        }
        finish(kind, started, outcome);
        if (!pace(pause)) return;
    }
}

Workload::Outcome Workload::bulk(std::uint64_t) {
    Outcome out;
    Fd fd = connect(Kind::Bulk, out.what);
    if (!fd) return out;
    const Duplex d = duplex(fd.get(), bulk_payload_, /*shutdown_after=*/true, deadline_in(120s));
    out.sent = d.sent;
    out.received = d.received;
    out.ok = d.status == IoStatus::Eof && d.sent == bulk_payload_.size() &&
             d.received == bulk_payload_.size() && d.received_checksum == bulk_payload_.checksum();
    if (!out.ok)
        out.what = std::string("duplex ") + to_string(d.status) + ", sent " +
                   std::to_string(d.sent) + ", received " + std::to_string(d.received) +
                   (d.received_checksum == bulk_payload_.checksum() ? "" : ", checksum differs");
    return out;
}

Workload::Outcome Workload::short_exchange(std::uint64_t n) {
    Outcome out;
    Fd fd = connect(Kind::Short, out.what);
    if (!fd) return out;
    const std::size_t size = 1 + (n * 2654435761ULL) % 4096;
    const std::string request = Payload::random(size, n + 1).materialize();
    const Deadline deadline = deadline_in(10s);
    if (const IoStatus s = send_all(fd.get(), request, deadline); s != IoStatus::Ok) {
        out.what = std::string("send: ") + to_string(s);
        return out;
    }
    out.sent = size;
    std::string reply;
    const IoStatus r = recv_exact(fd.get(), size, reply, deadline);
    out.received = reply.size();
    if (r != IoStatus::Ok || reply != request) {
        out.what = std::string("reply: ") + to_string(r) + ", " + std::to_string(reply.size()) +
                   " of " + std::to_string(size) + " bytes" +
                   (r == IoStatus::Ok ? ", bytes differ" : "");
        return out;
    }
    if (!shutdown_write(fd.get())) {
        out.what = "shutdown failed";
        return out;
    }
    const IoStatus end = wait_closed(fd.get(), deadline);
    out.ok = end == IoStatus::Eof;
    if (!out.ok) out.what = std::string("end: ") + to_string(end);
    return out;
}

Workload::Outcome Workload::slow_reader(std::uint64_t) {
    Outcome out;
    Fd fd = connect(Kind::SlowReader, out.what);
    if (!fd) return out;
    const std::uint64_t size = slow_payload_.size();
    Fnv1a hash;
    bool shut = false;
    char buffer[kSlowChunk];
    const Deadline deadline = deadline_in(60s);
    while (out.received < size) {
        if (expired(deadline)) {
            out.what = "timed out at " + std::to_string(out.received) + " bytes received";
            return out;
        }
        if (out.sent < size) {
            const std::string_view chunk = slow_payload_.chunk_at(out.sent, 16 << 10);
            const ssize_t n =
                ::send(fd.get(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) out.sent += static_cast<std::uint64_t>(n);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                out.what = std::string("send: ") + std::strerror(errno);
                return out;
            }
        }
        if (out.sent == size && !shut) shut = shutdown_write(fd.get());
        // The tick: at most kSlowChunk bytes per kSlowTick, however much is waiting.
        pollfd p{fd.get(), POLLIN, 0};
        (void)::poll(&p, 1, static_cast<int>(kSlowTick.count()));
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            hash.update(std::string_view(buffer, static_cast<std::size_t>(n)));
            out.received += static_cast<std::uint64_t>(n);
        } else if (n == 0) {
            out.what = "EOF after " + std::to_string(out.received) + " bytes";
            return out;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            out.what = std::string("recv: ") + std::strerror(errno);
            return out;
        }
        if (n > 0) std::this_thread::sleep_for(kSlowTick);
    }
    if (hash.value() != slow_payload_.checksum()) {
        out.what = "checksum differs";
        return out;
    }
    const IoStatus end = wait_closed(fd.get(), deadline_in(10s));
    out.ok = end == IoStatus::Eof;
    if (!out.ok) out.what = std::string("end: ") + to_string(end);
    return out;
}

Workload::Outcome Workload::client_reset(std::uint64_t) {
    Outcome out;
    out.deliberate = true;
    Fd fd = connect(Kind::ClientReset, out.what);
    if (!fd) return out;
    const Deadline deadline = deadline_in(10s);
    const std::string_view whole = reset_payload_.chunk_at(0, kResetSent);
    if (const IoStatus s = send_all(fd.get(), whole, deadline); s != IoStatus::Ok) {
        out.what = std::string("send: ") + to_string(s);
        return out;
    }
    out.sent = whole.size();
    std::string echoed;
    const IoStatus r = recv_exact(fd.get(), kResetRead, echoed, deadline);
    out.received = echoed.size();
    if (r != IoStatus::Ok || echoed != whole.substr(0, kResetRead)) {
        out.what = std::string("echo before the reset: ") + to_string(r);
        return out;
    }
    set_reset_on_close(fd.get());
    fd.reset();  // RST, with the rest of the echo unread
    out.ok = true;
    return out;
}

Workload::Outcome Workload::site_reset() {
    Outcome out;
    out.deliberate = true;
    Fd fd = connect(Kind::SiteReset, out.what);
    if (!fd) return out;
    if (const IoStatus s = send_all(fd.get(), kResetRequest, deadline_in(10s)); s != IoStatus::Ok) {
        out.what = std::string("send: ") + to_string(s);
        return out;
    }
    out.sent = kResetRequest.size();
    // The site resets without echoing; lb passes the reset on.
    const IoStatus end = wait_closed(fd.get(), deadline_in(10s));
    out.ok = end == IoStatus::Reset;
    if (!out.ok) out.what = std::string("expected a reset, got ") + to_string(end);
    return out;
}

void Workload::run_idle() {
    struct Held {
        Fd fd;
        SteadyClock::time_point started;
        SteadyClock::time_point until;
        std::uint64_t n = 0;
        std::uint64_t sent = 0;
    };
    std::deque<Held> held;
    std::uint64_t next = 0;
    auto close_one = [&](Held& h) {
        Outcome out;
        out.sent = h.sent;
        out.received = h.sent;  // the greeting came back when it was opened
        const std::string bye = "bye " + std::to_string(h.n) + "\n";
        if (!echo(h.fd.get(), bye, out)) {
            finish(Kind::Idle, h.started, out);
            return;
        }
        if (!shutdown_write(h.fd.get())) {
            out.what = "shutdown failed";
        } else {
            const IoStatus end = wait_closed(h.fd.get(), deadline_in(10s));
            out.ok = end == IoStatus::Eof;
            if (!out.ok) out.what = std::string("end: ") + to_string(end);
        }
        finish(Kind::Idle, h.started, out);
    };
    while (!stopping_.load()) {
        const auto now = SteadyClock::now();
        for (auto it = held.begin(); it != held.end();) {
            if (it->until <= now) {
                close_one(*it);
                it = held.erase(it);
            } else {
                ++it;
            }
        }
        while (static_cast<int>(held.size()) < settings_.idle_connections &&
               next < settings_.max_per_kind && !stopping_.load()) {
            Held h;
            h.n = next++;
            h.started = SteadyClock::now();
            // 1 to 15 s, spread so that some are open across every event of the run.
            h.until = h.started + std::chrono::seconds(1 + (h.n * 7919) % 15);
            Outcome out;
            h.fd = connect(Kind::Idle, out.what);
            const std::string hello = "hello " + std::to_string(h.n) + "\n";
            if (!h.fd || !echo(h.fd.get(), hello, out)) {
                finish(Kind::Idle, h.started, out);
                continue;
            }
            h.sent = hello.size();
            held.push_back(std::move(h));
        }
        {
            const std::lock_guard lock(mutex_);
            tally_.max_idle_open = std::max<std::uint64_t>(tally_.max_idle_open, held.size());
        }
        if (!pace(kIdleTick)) break;
    }
    for (Held& h : held) close_one(h);
}

bool Workload::echo(int fd, std::string_view message, Outcome& out) {
    const Deadline deadline = deadline_in(10s);
    if (const IoStatus s = send_all(fd, message, deadline); s != IoStatus::Ok) {
        out.what = std::string("send: ") + to_string(s);
        return false;
    }
    out.sent += message.size();
    std::string back;
    const IoStatus r = recv_exact(fd, message.size(), back, deadline);
    out.received += back.size();
    if (r != IoStatus::Ok || back != message) {
        out.what = std::string("echo: ") + to_string(r);
        return false;
    }
    return true;
}

}  // namespace lb::test::soak
