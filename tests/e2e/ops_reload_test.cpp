// End-to-end tests of reloading: 20 reloads (SIGHUP and the admin command, alternately) that
// change timeouts, health and listeners while new connections keep coming and one long stream
// keeps flowing; and reloads of invalid configs, which must change nothing.
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/e2e/ops_fixture.h"

namespace lb::test::ops {
namespace {

// Client threads each opening one connection after another, each connection carrying `size`
// bytes each way, every byte checked; every failure is recorded. Bounded: at most
// `per_thread` connections per thread.
class ConnectionChurn {
public:
    ConnectionChurn(const Front& front, std::size_t size, int threads, int per_thread = 750)
        : payload_(Payload::random(size, 4242)) {
        for (int t = 0; t < threads; ++t)
            threads_.emplace_back([this, front, t, per_thread](const std::stop_token& stop) {
                run(stop, front, t, per_thread);
            });
    }
    ~ConnectionChurn() { stop(); }
    ConnectionChurn(const ConnectionChurn&) = delete;
    ConnectionChurn& operator=(const ConnectionChurn&) = delete;

    void stop() {  // each thread finishes the connection in progress; idempotent
        for (auto& thread : threads_) thread.request_stop();
        for (auto& thread : threads_)
            if (thread.joinable()) thread.join();
    }
    [[nodiscard]] std::uint64_t completed() const { return completed_.load(); }
    [[nodiscard]] std::vector<std::string> failures() const {
        const std::lock_guard lock(mutex_);
        return failures_;
    }

private:
    void run(const std::stop_token& stop, const Front& front, int thread, int per_thread) {
        const auto start = SteadyClock::now();
        for (int i = 0; i < per_thread && !stop.stop_requested(); ++i) {
            if (auto failure = one(front)) {
                const std::lock_guard lock(mutex_);
                failures_.push_back("thread " + std::to_string(thread) + ", connection " +
                                    std::to_string(i) + " at " + std::to_string(elapsed_ms(start)) +
                                    " ms: " + *failure);
            } else {
                ++completed_;
            }
            // The pace of the load (the stimulus), not a wait for a condition: it bounds the
            // backends' thread count.
            std::this_thread::sleep_for(1ms);
        }
    }

    [[nodiscard]] std::optional<std::string> one(const Front& front) const {
        int error = 0;
        Fd fd = connect_tcp(front.ip, front.port, deadline_in(5s), &error);
        if (!fd) return std::string("connect: ") + std::strerror(error);
        const Duplex result = duplex(fd.get(), payload_, true, deadline_in(10s));
        if (result.status != IoStatus::Eof || result.received != payload_.size() ||
            result.received_checksum != payload_.checksum())
            return std::string("transfer ended ") + to_string(result.status) + " after sending " +
                   std::to_string(result.sent) + " and receiving " +
                   std::to_string(result.received) + " of " + std::to_string(payload_.size()) +
                   " bytes";
        return std::nullopt;
    }

    const Payload payload_;
    std::atomic<std::uint64_t> completed_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> failures_;
    std::vector<std::jthread> threads_;  // last: joined before the members they use go
};

// One connection kept open and busy: 4 KiB out, the same 4 KiB back, checked, again and again.
class LongStream {
public:
    explicit LongStream(Fd fd)
        : fd_(std::move(fd)),
          payload_(Payload::random(1 << 20, 77)),
          thread_([this](const std::stop_token& stop) { run(stop); }) {}
    ~LongStream() { stop(); }
    LongStream(const LongStream&) = delete;
    LongStream& operator=(const LongStream&) = delete;

    void stop() {
        if (!thread_.joinable()) return;
        thread_.request_stop();
        thread_.join();
    }
    [[nodiscard]] std::uint64_t rounds() const { return rounds_.load(); }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_.load(); }
    [[nodiscard]] std::string failure() const {
        const std::lock_guard lock(mutex_);
        return failure_;
    }
    [[nodiscard]] int fd() const { return fd_.get(); }

private:
    void run(const std::stop_token& stop) {
        std::uint64_t offset = 0;
        for (int round = 0; round < 200000 && !stop.stop_requested(); ++round) {
            const std::string_view chunk = payload_.chunk_at(offset, 4096);
            std::string back;
            const IoStatus sent = send_all(fd_.get(), chunk, deadline_in(5s));
            const IoStatus got = sent == IoStatus::Ok
                                     ? recv_exact(fd_.get(), chunk.size(), back, deadline_in(5s))
                                     : sent;
            if (got != IoStatus::Ok || back != chunk) {
                const std::lock_guard lock(mutex_);
                failure_ = "round " + std::to_string(round) + ": " + to_string(got) +
                           (got == IoStatus::Ok ? " but the echo differs" : "");
                return;
            }
            bytes_ += chunk.size();
            ++rounds_;
            offset = (offset + chunk.size()) % payload_.size();
            std::this_thread::sleep_for(2ms);  // the stream's pace
        }
    }

    Fd fd_;
    const Payload payload_;
    std::atomic<std::uint64_t> rounds_{0};
    std::atomic<std::uint64_t> bytes_{0};
    mutable std::mutex mutex_;
    std::string failure_;
    std::jthread thread_;
};

bool refused(const Front& front) {
    int error = 0;
    const Fd fd = connect_tcp(front.ip, front.port, deadline_in(2s), &error);
    return !fd && error == ECONNREFUSED;
}

std::vector<std::string> listener_names(const std::filesystem::path& socket) {
    std::vector<std::string> names;
    const json::Value listeners = admin_json(socket, "show listeners json");
    for (const json::Value& l : listeners["listeners"].items()) names.push_back(l["name"].string());
    return names;
}

bool is_applied(std::string_view line) { return message_starts_with(line, "reload: applied"); }
bool is_rejected(std::string_view line) { return message_starts_with(line, "reload rejected"); }

TEST_CASE("reload under load: 20 reloads drop no connection and no byte of a long stream",
          "[e2e][ops][reload]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    const Front extra = free_front();

    // Two configs that differ in timeouts.idle, the health interval and a second listener.
    LbConfig without_extra = rig.config;
    LbConfig with_extra = rig.config;
    with_extra.idle_timeout = "20s";
    with_extra.health_interval = "100ms";
    with_extra.health_timeout = "80ms";
    with_extra.listeners.push_back(rig.listener("extra", extra.port));

    Session stream_session = open_session(rig.front, rig.sites);
    LongStream stream(std::move(stream_session.fd));
    ConnectionChurn churn(rig.front, 64 << 10, /*threads=*/3);
    REQUIRE(wait_until([&] { return churn.completed() >= 5 && stream.rounds() >= 5; },
                       deadline_in(10s)));

    std::optional<Session> on_extra;
    for (int i = 0; i < 20; ++i) {
        const bool add = i % 2 == 0;
        const bool by_signal = i % 4 < 2;  // SIGHUP, SIGHUP, command, command, ...
        INFO("reload #" << i + 1 << (by_signal ? " by SIGHUP" : " by command")
                        << (add ? ", adding" : ", removing") << " the extra listener");
        rig.ws.write_config(add ? with_extra : without_extra);
        const std::size_t applied_before = lb->count_log(is_applied);
        if (by_signal) {
            lb->signal(SIGHUP);
        } else {
            const std::string reply = admin(sock, "reload");
            INFO("reload replied: " << reply);
            REQUIRE(reply.starts_with("reloaded "));
        }
        const bool applied = wait_until(
            [&] { return lb->count_log(is_applied) == applied_before + 1; }, deadline_in(10s));
        INFO("lb log:\n" << lb->log_text());
        REQUIRE(applied);

        const auto names = listener_names(sock);
        if (add) {
            CHECK(names == std::vector<std::string>{"front", "extra"});
            CHECK(route_of(extra, rig.sites) == "site-a");
            // A session through the extra listener, kept across the reload that removes it.
            on_extra = open_session(extra, rig.sites);
        } else {
            CHECK(names == std::vector<std::string>{"front"});
            // Each worker closes its socket of the listener on its own loop, soon after.
            CHECK(wait_until([&] { return refused(extra); }, deadline_in(5s)));
            // Removing a listener closes its socket, not the sessions it accepted.
            REQUIRE(on_extra.has_value());
            CHECK(echo_once(on_extra->fd.get(), "the listener is gone, the session is not"));
            REQUIRE(shutdown_write(on_extra->fd.get()));
            CHECK(wait_closed(on_extra->fd.get(), deadline_in(5s)) == IoStatus::Eof);
            on_extra.reset();
        }
        // Both kinds of traffic still move after this reload, with connections in flight
        // while the next one comes.
        const std::uint64_t done = churn.completed();
        const std::uint64_t rounds = stream.rounds();
        CHECK(wait_until([&] { return churn.completed() >= done + 10 && stream.rounds() > rounds; },
                         deadline_in(10s)));
    }
    churn.stop();
    stream.stop();

    INFO("lb log:\n" << lb->log_text());
    const auto failures = churn.failures();
    for (const std::string& failure : failures) INFO(failure);
    CHECK(failures.empty());
    CHECK(churn.completed() >= 200);
    CHECK(stream.failure().empty());
    CHECK(stream.rounds() >= 20);
    // The long stream still ends cleanly: our FIN goes through, the backend's comes back.
    REQUIRE(shutdown_write(stream.fd()));
    CHECK(wait_closed(stream.fd(), deadline_in(5s)) == IoStatus::Eof);

    CHECK(lb->running());
    CHECK(lb->count_log(is_applied) == 20);
    CHECK(lb->count_log(is_rejected) == 0);
    const json::Value status = admin_json(sock, "show status json");
    CHECK(status["active_site"].string() == "site-a");
    CHECK(u64(status["failovers_total"]) == 0);
    // Every connection lb logged ended normally ("--"): none was cut by a reload.
    const auto logged = wait_until(
        [&] {
            std::size_t lines = 0;
            for (const std::string& line : lb->log_lines())
                if (parse_tcplog(line)) ++lines;
            return lines >= churn.completed() + 1;
        },
        deadline_in(5s));
    CHECK(logged);
    std::size_t through_extra = 0;
    for (const std::string& line : lb->log_lines()) {
        const auto parsed = parse_tcplog(line);
        if (!parsed) continue;
        INFO(line);
        CHECK(parsed->term == "--");
        if (parsed->listener == "extra") ++through_extra;
    }
    CHECK(through_extra == 20);  // 10 short connections, 10 kept across the removal
}

TEST_CASE("reload applies new health checks and timeouts, open sessions stay",
          "[e2e][ops][reload]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    Session held = open_session(rig.front, rig.sites);
    REQUIRE(held.site == "site-a");
    int pings = 0;
    // Traffic on the held session while we wait, so no idle timeout can be what ends it.
    const auto ping = [&] {
        INFO("ping " << pings);
        REQUIRE(echo_once(held.fd.get(), "ping " + std::to_string(pings++)));
    };

    // site-b's checks go to a port nobody listens on; a short idle timeout.
    LbConfig changed = rig.config;
    changed.sites.at(1).health_toml = "port = " + std::to_string(free_port(kSiteB));  // site-b
    changed.idle_timeout = "300ms";
    rig.ws.write_config(changed);
    REQUIRE(admin(sock, "reload").starts_with("reloaded "));
    (void)require_status(
        sock,
        [&](const json::Value& s) {
            ping();
            return by_name(s["sites"], "site-b")["health"].string() == "down";
        },
        "site-b down: its checks now go to a closed port");
    {
        const json::Value status = admin_json(sock, "show status json");
        CHECK(status["active_site"].string() == "site-a");
        CHECK(by_name(status["sites"], "site-a")["health"].string() == "up");
        CHECK(by_name(status["sites"], "site-b")["last_check"]["reason"].string().find("refused") !=
              std::string::npos);
    }
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    Session idle = open_session(rig.front, rig.sites);
    const auto start = SteadyClock::now();
    const IoStatus closed = wait_closed(idle.fd.get(), deadline_in(5s));
    const long long after = elapsed_ms(start);
    INFO("idle session closed (" << to_string(closed) << ") after " << after << " ms");
    CHECK((closed == IoStatus::Eof || closed == IoStatus::Reset));
    CHECK(after < 3000);
    const auto line = lb->wait_for_log(
        [&](std::string_view text) {
            const auto parsed = parse_tcplog(text);
            return parsed && parsed->client_port == idle.client_port;
        },
        deadline_in(5s));
    REQUIRE(line);
    CHECK(parse_tcplog(*line)->term == "cD");

    // And back, by SIGHUP.
    rig.ws.write_config(rig.config);
    lb->signal(SIGHUP);
    (void)require_status(
        sock,
        [&](const json::Value& s) {
            ping();
            return by_name(s["sites"], "site-a")["health"].string() == "up" &&
                   by_name(s["sites"], "site-b")["health"].string() == "up";
        },
        "site-b up again");
    ping();
    CHECK(lb->count_log(is_applied) == 2);
}

// The site named `name` in a `show status json` document.
const json::Value& status_site(const json::Value& status, std::string_view name) {
    const json::Value& site = by_name(status["sites"], name);
    INFO("site " << name << " in show status json");
    REQUIRE(site.is_object());
    return site;
}

TEST_CASE("reload keeps the active site, a pin and the admin states drain and maint",
          "[e2e][ops][reload][pin][drain]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    Session on_a = open_session(rig.front, rig.sites);
    REQUIRE(on_a.site == "site-a");

    // A pinned standby and a drained primary, as an operator leaves them before a reload.
    REQUIRE_FALSE(is_error(admin(sock, "pin site-b")));
    REQUIRE_FALSE(is_error(admin(sock, "set site site-a state drain")));
    const auto require_kept = [&](std::string_view after, std::string_view a_state) {
        INFO("after " << after);
        const json::Value status = admin_json(sock, "show status json");
        INFO("show status json: " << admin(sock, "show status json"));
        CHECK(status["active_site"].string() == "site-b");
        CHECK(status["pinned_site"].string() == "site-b");
        CHECK(status_site(status, "site-b")["pinned"].boolean());
        CHECK(status_site(status, "site-a")["admin_state"].string() == a_state);
        CHECK(status_site(status, "site-b")["admin_state"].string() == "ready");
        CHECK(route_of(rig.front, rig.sites) == "site-b");
    };
    require_kept("pin and drain", "drain");

    // A changed file (another idle timeout), by the command and by SIGHUP.
    LbConfig changed = rig.config;
    changed.idle_timeout = "20s";
    rig.ws.write_config(changed);
    const std::string reply = admin(sock, "reload");
    INFO("reload: " << reply);
    REQUIRE(reply.starts_with("reloaded "));
    require_kept("reload by command", "drain");
    // The drained site's session is kept across the reload too.
    CHECK(echo_once(on_a.fd.get(), "draining across a reload"));

    rig.ws.write_config(rig.config);
    lb->signal(SIGHUP);
    REQUIRE(lb->wait_for_log(is_applied, deadline_in(10s), 2));
    require_kept("reload by SIGHUP", "drain");
    CHECK(echo_once(on_a.fd.get(), "still draining"));

    // maint survives a reload as well.
    REQUIRE_FALSE(is_error(admin(sock, "set site site-a state maint")));
    CHECK(is_closed_within(on_a.fd.get(), deadline_in(5s)));
    rig.ws.write_config(changed);
    lb->signal(SIGHUP);
    REQUIRE(lb->wait_for_log(is_applied, deadline_in(10s), 3));
    require_kept("maint, then reload by SIGHUP", "maint");
}

TEST_CASE("reload: an invalid config is refused by SIGHUP and by the command, nothing changes",
          "[e2e][ops][reload]") {
    Rig rig;
    auto lb = rig.start();
    const auto sock = rig.socket();
    const Front extra = free_front();
    Session held = open_session(rig.front, rig.sites);
    REQUIRE(held.site == "site-a");

    SECTION("a file with errors") {
        LbConfig invalid = rig.config;
        invalid.listeners.push_back(rig.listener("extra", extra.port));
        invalid.idle_timeout = "5";  // a bare number: durations need a unit
        rig.ws.write_config(invalid);

        const std::string reply = admin(sock, "reload");
        INFO("reload replied: " << reply);
        CHECK(reply.starts_with("error:"));
        REQUIRE(lb->wait_for_log(is_rejected, deadline_in(5s)));
        // The problem is named with file:line:col.
        const auto diagnostic = lb->wait_for_log(
            [&](std::string_view line) {
                return line.find(rig.ws.config_path().string() + ":") != std::string_view::npos &&
                       line.find("timeouts.idle") != std::string_view::npos;
            },
            deadline_in(5s));
        INFO("lb log:\n" << lb->log_text());
        CHECK(diagnostic);

        lb->signal(SIGHUP);
        CHECK(wait_until([&] { return lb->count_log(is_rejected) == 2; }, deadline_in(10s)));
        CHECK(refused(extra));
    }
    SECTION("renamed or swapped sites") {
        // A session, its passive failures and the active site name a site by its place: a
        // running lb keeps its two sites, and says to restart.
        LbConfig swapped = rig.config;
        std::swap(swapped.sites[0].role, swapped.sites[1].role);
        std::swap(swapped.sites[0], swapped.sites[1]);
        swapped.listeners.push_back(rig.listener("extra", extra.port));
        rig.ws.write_config(swapped);
        const std::string reply = admin(sock, "reload");
        INFO("reload replied: " << reply);
        CHECK(reply.starts_with("error:"));
        CHECK(reply.find("primary site-a, standby site-b → primary site-b, standby site-a") !=
              std::string::npos);
        CHECK(reply.find("restart") != std::string::npos);
        REQUIRE(lb->wait_for_log(is_rejected, deadline_in(5s)));

        LbConfig renamed = rig.config;
        renamed.sites[1].name = "site-c";
        rig.ws.write_config(renamed);
        lb->signal(SIGHUP);
        CHECK(wait_until([&] { return lb->count_log(is_rejected) == 2; }, deadline_in(10s)));
        CHECK(refused(extra));
    }
    SECTION("a new listener whose address is taken") {
        const Fd squatter = listen_tcp(kClientIp, extra.port, 1);  // no SO_REUSEPORT: lb can't
        LbConfig taken = rig.config;
        taken.listeners.push_back(rig.listener("extra", extra.port));
        rig.ws.write_config(taken);
        const std::string reply = admin(sock, "reload");
        INFO("reload replied: " << reply);
        CHECK(reply.starts_with("error:"));
        CHECK(reply.find("extra") != std::string::npos);
        REQUIRE(lb->wait_for_log(is_rejected, deadline_in(5s)));
        lb->signal(SIGHUP);
        CHECK(wait_until([&] { return lb->count_log(is_rejected) == 2; }, deadline_in(10s)));
    }

    INFO("lb log:\n" << lb->log_text());
    CHECK(lb->running());
    CHECK(lb->count_log(is_applied) == 0);
    CHECK(listener_names(sock) == std::vector<std::string>{"front"});
    CHECK(echo_once(held.fd.get(), "the session opened before still works"));
    CHECK(route_of(rig.front, rig.sites) == "site-a");

    // A valid file afterwards is applied as usual.
    LbConfig valid = rig.config;
    valid.listeners.push_back(rig.listener("extra", free_front().port));
    rig.ws.write_config(valid);
    CHECK(admin(sock, "reload").starts_with("reloaded "));
    CHECK(listener_names(sock) == std::vector<std::string>{"front", "extra"});
}

}  // namespace
}  // namespace lb::test::ops
