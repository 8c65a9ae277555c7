// ClientProber: one epoll loop that starts an attempt every period and drives every attempt in
// flight (connect, send the request, read the reply to EOF) to its end or its deadline.
#include "tests/support/client_prober.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <future>
#include <system_error>

#include "tests/support/netns_scope.h"

namespace lb::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kMaxReply = 65536;

struct InFlight {
    ProbeAttempt attempt;
    SteadyClock::time_point deadline;
    std::string reply;
};

ProbeOutcome outcome_for(int error) {
    switch (error) {
        case ECONNREFUSED:
            return ProbeOutcome::Refused;
        case ECONNRESET:
            return ProbeOutcome::Reset;
        case ETIMEDOUT:
            return ProbeOutcome::Timeout;
        default:
            return ProbeOutcome::Error;
    }
}

// The body of a complete reply, without its trailing newline; nullopt if it is not HTTP.
std::optional<std::string> reply_body(const std::string& reply) {
    if (reply.rfind("HTTP/1.", 0) != 0) return std::nullopt;
    const std::size_t end = reply.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    std::string body = reply.substr(end + 4);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    return body;
}

}  // namespace

std::string_view to_string(ProbeOutcome outcome) {
    switch (outcome) {
        case ProbeOutcome::Ok:
            return "ok";
        case ProbeOutcome::Refused:
            return "refused";
        case ProbeOutcome::Reset:
            return "reset";
        case ProbeOutcome::Timeout:
            return "timeout";
        case ProbeOutcome::BadReply:
            return "bad_reply";
        case ProbeOutcome::Error:
            return "error";
    }
    return "error";
}

ClientProber::ClientProber(Options options) : options_(std::move(options)) {
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    std::promise<void> started;
    auto ready = started.get_future();
    thread_ = std::thread([this, &started] {
        std::optional<NetnsScope> scope;
        try {
            if (!options_.netns.empty()) scope.emplace(options_.netns);
        } catch (...) {
            started.set_exception(std::current_exception());
            return;
        }
        started.set_value();
        run();
    });
    try {
        ready.get();
    } catch (...) {
        thread_.join();
        ::close(stop_fd_);
        throw;
    }
}

ClientProber::~ClientProber() { stop(); }

void ClientProber::stop() {
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(stop_fd_);
}

std::vector<ProbeAttempt> ClientProber::attempts() const {
    std::vector<ProbeAttempt> out;
    {
        const std::lock_guard lock(mutex_);
        out = attempts_;
    }
    std::stable_sort(out.begin(), out.end(), [](const ProbeAttempt& a, const ProbeAttempt& b) {
        return a.start < b.start;
    });
    return out;
}

std::vector<ProbeAttempt> ClientProber::attempts_since(SteadyClock::time_point since) const {
    std::vector<ProbeAttempt> out = attempts();
    std::erase_if(out, [&](const ProbeAttempt& a) { return a.start < since; });
    return out;
}

bool ClientProber::ended_before(SteadyClock::time_point when) const {
    const std::lock_guard lock(mutex_);
    // One thread starts the attempts in order: once one started at or after `when`, every
    // earlier one is known, ended or in flight.
    const bool past = !running_ || last_started_ >= when;
    return past && (in_flight_.empty() || *in_flight_.begin() >= when);
}

void ClientProber::started(SteadyClock::time_point at) {
    const std::lock_guard lock(mutex_);
    in_flight_.insert(at);
    last_started_ = at;
}

void ClientProber::record(ProbeAttempt attempt) {
    const std::lock_guard lock(mutex_);
    if (const auto it = in_flight_.find(attempt.start); it != in_flight_.end())
        in_flight_.erase(it);
    attempts_.push_back(std::move(attempt));
}

void ClientProber::run() noexcept {
    // IPv4 or IPv6, whichever options_.ip parses as.
    sockaddr_storage target{};
    socklen_t target_length = sizeof(sockaddr_in);
    if (sockaddr_in v4{}; ::inet_pton(AF_INET, options_.ip.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(options_.port);
        std::memcpy(&target, &v4, sizeof v4);
    } else {
        sockaddr_in6 v6{};
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(options_.port);
        ::inet_pton(AF_INET6, options_.ip.c_str(), &v6.sin6_addr);
        std::memcpy(&target, &v6, sizeof v6);
        target_length = sizeof v6;
    }
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event stop_event{};
    stop_event.events = EPOLLIN;
    stop_event.data.fd = stop_fd_;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, stop_fd_, &stop_event);

    std::map<int, InFlight> flights;
    const auto finish = [&](int fd, ProbeOutcome outcome, int error, std::string body = {}) {
        InFlight& flight = flights.at(fd);
        flight.attempt.outcome = outcome;
        flight.attempt.error = error;
        flight.attempt.body = std::move(body);
        flight.attempt.took = std::chrono::duration_cast<std::chrono::microseconds>(
            SteadyClock::now() - flight.attempt.start);
        record(std::move(flight.attempt));
        ::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        flights.erase(fd);
    };
    const auto send_request = [&](int fd) {
        const ssize_t sent =
            ::send(fd, options_.request.data(), options_.request.size(), MSG_NOSIGNAL);
        if (sent != static_cast<ssize_t>(options_.request.size()))
            return finish(fd, sent < 0 ? outcome_for(errno) : ProbeOutcome::Error,
                          sent < 0 ? errno : 0);
        flights.at(fd).attempt.connected = true;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.fd = fd;
        ::epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event);
    };
    const auto start_attempt = [&](SteadyClock::time_point now) {
        ProbeAttempt attempt;
        attempt.start = now;
        started(now);
        const int fd = ::socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            attempt.outcome = ProbeOutcome::Error;
            attempt.error = errno;
            record(std::move(attempt));
            return;
        }
        flights.emplace(fd, InFlight{std::move(attempt), now + options_.timeout, {}});
        const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&target), target_length);
        if (rc != 0 && errno != EINPROGRESS) {
            const int error = errno;
            ::close(fd);
            InFlight& flight = flights.at(fd);
            flight.attempt.outcome = outcome_for(error);
            flight.attempt.error = error;
            record(std::move(flight.attempt));
            flights.erase(fd);
            return;
        }
        epoll_event event{};
        event.events = EPOLLOUT;
        event.data.fd = fd;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
        if (rc == 0) send_request(fd);
    };
    const auto on_readable = [&](int fd) {
        InFlight& flight = flights.at(fd);
        std::array<char, 4096> buffer{};
        for (;;) {
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n > 0) {
                if (flight.reply.size() < kMaxReply)
                    flight.reply.append(buffer.data(), static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) {
                if (auto body = reply_body(flight.reply))
                    return finish(fd, ProbeOutcome::Ok, 0, std::move(*body));
                return finish(fd, ProbeOutcome::BadReply, 0);
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            return finish(fd, outcome_for(errno), errno);
        }
    };

    SteadyClock::time_point next = SteadyClock::now();
    bool stopping = false;
    std::array<epoll_event, 64> events{};
    for (;;) {
        SteadyClock::time_point now = SteadyClock::now();
        if (!stopping && now >= next) {
            start_attempt(now);
            next += options_.every;
            if (next <= now) next = now + options_.every;  // fell behind: no burst
        }
        now = SteadyClock::now();
        std::vector<int> expired;
        for (const auto& [fd, flight] : flights)
            if (flight.deadline <= now) expired.push_back(fd);
        for (const int fd : expired) finish(fd, ProbeOutcome::Timeout, ETIMEDOUT);
        if (stopping && flights.empty()) break;

        SteadyClock::time_point wake = stopping ? now + std::chrono::seconds(1) : next;
        for (const auto& [fd, flight] : flights) wake = std::min(wake, flight.deadline);
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
        const int ready = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()),
                                       static_cast<int>(std::max<long long>(wait, 0)));
        for (int i = 0; i < ready; ++i) {
            const epoll_event& event = events[static_cast<std::size_t>(i)];
            const int fd = event.data.fd;
            if (fd == stop_fd_) {
                stopping = true;
                continue;
            }
            const auto it = flights.find(fd);
            if (it == flights.end()) continue;
            if (!it->second.attempt.connected) {
                int error = 0;
                socklen_t length = sizeof error;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                if (error != 0)
                    finish(fd, outcome_for(error), error);
                else if (event.events & EPOLLOUT)
                    send_request(fd);
                continue;
            }
            on_readable(fd);
        }
    }
    ::close(epoll);
    const std::lock_guard lock(mutex_);
    running_ = false;
}

ProbeSummary summarize(const std::vector<ProbeAttempt>& attempts, SteadyClock::time_point from,
                       SteadyClock::time_point to) {
    ProbeSummary out;
    for (const ProbeAttempt& attempt : attempts) {
        if (attempt.start < from || attempt.start >= to) continue;
        ++out.total;
        ++out.outcomes[std::string(to_string(attempt.outcome))];
        if (attempt.ok()) {
            ++out.bodies[attempt.body];
            if (out.last_failure) ++out.ok_after_last_failure;
            continue;
        }
        ++out.failed;
        ++(attempt.connected ? out.broken_after_connect : out.failed_to_connect);
        if (!out.first_failure) out.first_failure = attempt.start;
        out.last_failure = attempt.start;
        out.ok_after_last_failure = 0;
    }
    if (out.first_failure)
        out.gap_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*out.last_failure -
                                                                           *out.first_failure)
                         .count();
    return out;
}

std::string describe(const ProbeSummary& summary) {
    std::string outcomes;
    for (const auto& [name, count] : summary.outcomes)
        if (name != "ok")
            outcomes += fmt::format("{}{} {}", outcomes.empty() ? "" : ", ", name, count);
    std::string bodies;
    for (const auto& [body, count] : summary.bodies)
        bodies += fmt::format("{}{} {}", bodies.empty() ? "" : ", ", body, count);
    if (summary.broken_after_connect > 0)
        outcomes += fmt::format("; {} after connecting", summary.broken_after_connect);
    return fmt::format("failed {} of {}{}, gap {} ms; replies {}", summary.failed, summary.total,
                       outcomes.empty() ? "" : " (" + outcomes + ")", summary.gap_ms,
                       bodies.empty() ? "none" : bodies);
}

}  // namespace lb::test
