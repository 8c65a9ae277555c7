// The wall clock jumping hours back and forth under a running lb (libfaketime, preloaded, moves
// CLOCK_REALTIME only): timers and decisions run on the monotonic clock, so health checks keep
// their pace, an auto failback waits its failback_after, idle timeouts neither fire early nor
// late, and nothing fails over on its own. Wall time only labels logs and the state file.
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "tests/e2e/failover_fixture.h"
#include "tests/e2e/ops_fixture.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

namespace fs = std::filesystem;

// Debian's libfaketime (package faketime), the variant safe in a threaded process; empty if not
// installed.
fs::path find_libfaketime() {
    std::error_code error;
    for (const char* lib : {"/usr/lib", "/usr/lib64"})
        for (fs::directory_iterator it(lib, error), end; !error && it != end; it.increment(error))
            if (const fs::path candidate = it->path() / "faketime" / "libfaketimeMT.so.1";
                fs::exists(candidate))
                return candidate;
    if (fs::exists("/usr/lib/faketime/libfaketimeMT.so.1"))
        return "/usr/lib/faketime/libfaketimeMT.so.1";
    return {};
}

// lb's wall clock minus ours, in seconds, from the Date header of its HTTP endpoint.
std::optional<long long> wall_offset_s(std::uint16_t metrics_port) {
    const auto reply = ops::fetch_http(metrics_port, "/metrics");
    if (!reply) return std::nullopt;
    const std::size_t at = reply->head.find("\r\nDate: ");
    if (at == std::string::npos) return std::nullopt;
    std::tm parts{};
    const std::string value = reply->head.substr(at + 8, 29);  // "Mon, 07 Dec 2026 02:50:00 GMT"
    if (::strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts) == nullptr)
        return std::nullopt;
    return static_cast<long long>(::timegm(&parts)) - static_cast<long long>(std::time(nullptr));
}

TEST_CASE("the wall clock jumping back and forth moves no timer and no decision",
          "[e2e][faults][clock][one-path]") {
    const fs::path faketime = find_libfaketime();
    if (faketime.empty())
        skip_test(
            "libfaketime is not installed (Debian package faketime; scripts/install-deps.sh "
            "installs it): the wall clock cannot be moved under lb");
    ops::Sites sites;
    const Front front = free_front();
    LbConfig config = ops::ops_config(sites, front);
    config.failback = "auto";
    config.failback_after = "5s";
    config.idle_timeout = "3s";
    config.metrics_port = free_port();
    LbWorkspace ws("lb-faults");
    ws.write_config(config);
    const fs::path socket = ws.admin_socket();

    // libfaketime reads the offset from this file at every clock call (FAKETIME_NO_CACHE), and
    // leaves CLOCK_MONOTONIC alone.
    const fs::path offset_file = ws.dir() / "faketime";
    write_file(offset_file, "+0\n");
    SpawnOptions options;
    options.environment = {"LD_PRELOAD=" + faketime.string(),
                           "FAKETIME_TIMESTAMP_FILE=" + offset_file.string(), "FAKETIME_NO_CACHE=1",
                           "FAKETIME_DONT_FAKE_MONOTONIC=1"};
    // In the sanitizer build the preloaded library comes before ASan's runtime.
    const char* asan = std::getenv("ASAN_OPTIONS");
    options.environment.push_back(std::string("ASAN_OPTIONS=") + (asan ? asan : "") +
                                  (asan && *asan ? ":" : "") + "verify_asan_link_order=0");
    auto lb = require_ready(std::make_unique<LbProcess>(ws, options));
    ops::require_sites_up(socket);
    ops::require_active(socket, "site-a");

    const auto jump = [&](std::string_view offset, long long seconds) {
        write_file(offset_file, std::string(offset) + "\n");
        std::optional<long long> seen;
        const bool moved = wait_until(
            [&] {
                seen = wall_offset_s(config.metrics_port);
                return seen && *seen > seconds - 120 && *seen < seconds + 120;
            },
            deadline_in(5s), 50ms);
        INFO("lb's wall clock should be " << offset << " (" << seconds << " s) off ours; it is "
                                          << (seen ? std::to_string(*seen) + " s" : "unknown"));
        REQUIRE(moved);
    };
    const auto checks = [&](const char* site) {
        return ops::metric_sum(ops::scrape(config.metrics_port), "lb_health_checks_total",
                               {{"site", site}});
    };
    const auto failovers = [&] {
        return lb->count_log([](std::string_view line) { return is_failover_line(line); });
    };

    // 1. Health checks run every 200 ms whatever the wall clock says.
    struct Jump {
        std::string_view offset;
        long long seconds;
    };
    for (const auto& [offset, seconds] :
         {Jump{"+6h", 21600}, Jump{"-6h", -21600}, Jump{"+2d", 172800}, Jump{"-1d", -86400}}) {
        INFO("wall clock " << offset);
        jump(offset, seconds);
        const double a = checks("site-a");
        const double b = checks("site-b");
        // Five intervals take a second; a timer on the wall clock would stall for hours (or fire
        // at once and never again).
        CHECK(wait_until([&] { return checks("site-a") >= a + 5 && checks("site-b") >= b + 5; },
                         deadline_in(5s), 100ms));
        CHECK(failovers() == 0);
        CHECK(lb->count_log([](std::string_view line) {
            return is_health_line(line, "site-a", "down") || is_health_line(line, "site-b", "down");
        }) == 0);
    }
    ops::require_active(socket, "site-a");

    // 2. An idle session is closed after timeouts.idle (3 s) of monotonic time, across jumps.
    jump("+0", 0);
    {
        Fd client = connect_front(front);
        REQUIRE(send_all(client.get(), "i", deadline_in(2s)) == IoStatus::Ok);
        std::string echoed;
        REQUIRE(recv_exact(client.get(), 1, echoed, deadline_in(2s)) == IoStatus::Ok);
        const auto last_activity = SteadyClock::now();
        jump("+12h", 43200);
        jump("-1d", -86400);
        // Not early: still open 2.5 s after the last byte.
        const bool early =
            wait_until([&] { return peer_closed_now(client.get()); }, last_activity + 2500ms, 20ms);
        CHECK_FALSE(early);
        // Not late either.
        const IoStatus end = wait_closed(client.get(), deadline_in(10s));
        const long long took = elapsed_ms(last_activity);
        INFO("idle session closed (" << to_string(end) << ") " << took
                                     << " ms after its last byte");
        CHECK((end == IoStatus::Eof || end == IoStatus::Reset));
        CHECK(took >= 2900);
        CHECK(took < 8000);
    }

    // 3. failback = "auto", failback_after = 5s: a forward jump right after site-a comes back
    // must not make the hold-down look over.
    jump("+0", 0);
    sites.stop("site-a");
    ops::require_active(socket, "site-b");
    sites.start("site-a");
    (void)ops::require_status(
        socket,
        [](const json::Value& status) {
            return ops::by_name(status["sites"], "site-a")["health"].string() == "up";
        },
        "site-a up again");
    const auto up_seen = SteadyClock::now();  // lb saw it no later than this
    jump("+2d", 172800);
    const bool early = wait_until(
        [&] {
            return ops::admin_json(socket, "show status json")["active_site"].string() != "site-b";
        },
        up_seen + 3500ms, 50ms);
    INFO("lb log:\n" << log_of(*lb));
    CHECK_FALSE(early);
    jump("-2d", -172800);
    ops::require_active(socket, "site-a", deadline_in(15s));
    const long long failback_after_ms = elapsed_ms(up_seen);
    INFO("failback " << failback_after_ms << " ms after site-a was seen up");
    CHECK(failback_after_ms >= 4000);
    CHECK(failovers() == 2);  // site-a -> site-b (health), then the failback
    CHECK(lb->count_log([](std::string_view line) {
        return is_failover_line(line, "site-b", "site-a", "failback");
    }) == 1);
}

}  // namespace
}  // namespace lb::test
