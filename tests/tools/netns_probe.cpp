// netns_probe: the network-namespace tests' client prober, VIP watcher and reply server as one
// command, for bench/peers/ (which measures keepalived the same way it measures lb).
//
//   netns_probe probe --netns NS --target IP:PORT --seconds S [--every-ms 10] [--timeout-ms 300]
//                     --out FILE
//   netns_probe watch --netns NS1 --netns NS2 --vip IP --seconds S [--every-ms 5] --out FILE
//   netns_probe serve [--netns NS] --listen IP:PORT --body TEXT [--freebind]
//
// probe and watch run for S seconds (SIGTERM or SIGINT end them early) and then write FILE;
// serve runs until SIGTERM or SIGINT. Times in FILE are Unix epoch milliseconds (wall clock at
// the start plus the monotonic clock's progress), so a script can line them up with `date
// +%s%3N`. Exit code 0, or 2 for bad arguments, 1 when a namespace or address cannot be used.
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/client_prober.h"
#include "tests/support/reply_server.h"
#include "tests/support/vip_watcher.h"

namespace {

using lb::test::ClientProber;
using lb::test::ReplyServer;
using lb::test::VipWatcher;
using SteadyClock = std::chrono::steady_clock;

struct Args {
    std::string mode;
    std::multimap<std::string, std::string> values;
    bool freebind = false;

    [[nodiscard]] std::string one(const std::string& key, const std::string& fallback = "") const {
        const auto it = values.find(key);
        if (it != values.end()) return it->second;
        if (fallback.empty()) throw std::invalid_argument("missing --" + key);
        return fallback;
    }
    [[nodiscard]] std::vector<std::string> all(const std::string& key) const {
        std::vector<std::string> out;
        for (auto [it, end] = values.equal_range(key); it != end; ++it) out.push_back(it->second);
        return out;
    }
};

Args parse(int argc, char** argv) {
    if (argc < 2) throw std::invalid_argument("no mode");
    Args args;
    args.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string word = argv[i];
        if (word.rfind("--", 0) != 0) throw std::invalid_argument("unexpected " + word);
        if (word == "--freebind") {
            args.freebind = true;
            continue;
        }
        if (i + 1 >= argc) throw std::invalid_argument(word + " needs a value");
        args.values.emplace(word.substr(2), argv[++i]);
    }
    return args;
}

std::pair<std::string, std::uint16_t> split_endpoint(const std::string& endpoint) {
    const std::size_t colon = endpoint.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("expected IP:PORT: " + endpoint);
    return {endpoint.substr(0, colon),
            static_cast<std::uint16_t>(std::stoul(endpoint.substr(colon + 1)))};
}

// Blocks SIGTERM and SIGINT (before any thread starts, so every thread inherits the mask) and
// waits for one of them, at most `limit`.
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

void wait_for_stop(const sigset_t& set, std::chrono::milliseconds limit) {
    const auto until = SteadyClock::now() + limit;
    for (;;) {
        const auto left = until - SteadyClock::now();
        if (left <= SteadyClock::duration::zero()) return;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                               static_cast<long>(ns % 1'000'000'000)};
        if (sigtimedwait(&set, nullptr, &timeout) > 0) return;
    }
}

// Epoch milliseconds of a steady-clock instant.
class EpochMs {
public:
    [[nodiscard]] double operator()(SteadyClock::time_point at) const {
        const auto since = std::chrono::duration_cast<std::chrono::microseconds>(
            wall_.time_since_epoch() + (at - steady_));
        return static_cast<double>(since.count()) / 1000.0;
    }

private:
    std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::now();
    SteadyClock::time_point steady_ = SteadyClock::now();
};

std::chrono::milliseconds seconds_arg(const Args& args) {
    return std::chrono::milliseconds(static_cast<long long>(std::stod(args.one("seconds")) * 1000));
}

int probe(const Args& args) {
    const sigset_t signals = stop_signals();
    const EpochMs epoch;
    const auto [ip, port] = split_endpoint(args.one("target"));
    ClientProber::Options options;
    options.netns = args.one("netns");
    options.ip = ip;
    options.port = port;
    options.every = std::chrono::milliseconds(std::stoi(args.one("every-ms", "10")));
    options.timeout = std::chrono::milliseconds(std::stoi(args.one("timeout-ms", "300")));
    ClientProber prober(options);
    wait_for_stop(signals, seconds_arg(args));
    prober.stop();
    std::ofstream out(args.one("out"));
    out << "# start_ms took_us outcome errno connected body\n";
    for (const auto& attempt : prober.attempts())
        out << fmt::format("{:.3f} {} {} {} {:d} {}\n", epoch(attempt.start), attempt.took.count(),
                           lb::test::to_string(attempt.outcome), attempt.error, attempt.connected,
                           attempt.body.empty() ? "-" : attempt.body);
    return out ? 0 : 1;
}

int watch(const Args& args) {
    const sigset_t signals = stop_signals();
    const EpochMs epoch;
    VipWatcher::Options options;
    options.netns = args.all("netns");
    options.vip = args.one("vip");
    options.every = std::chrono::milliseconds(std::stoi(args.one("every-ms", "5")));
    VipWatcher watcher(options);
    wait_for_stop(signals, seconds_arg(args));
    watcher.stop();
    const auto samples = watcher.samples();
    std::ofstream out(args.one("out"));
    out << "# at_ms holders (bit i: the i-th --netns holds the VIP); a line per change, and the "
           "last sample\n";
    for (std::size_t i = 0; i < samples.size(); ++i)
        if (i == 0 || i + 1 == samples.size() || samples[i].holders != samples[i - 1].holders)
            out << fmt::format("{:.3f} {}\n", epoch(samples[i].at), samples[i].holders);
    return out ? 0 : 1;
}

int serve(const Args& args) {
    const sigset_t signals = stop_signals();
    const auto [ip, port] = split_endpoint(args.one("listen"));
    ReplyServer server(ReplyServer::Options{args.one("netns", "-") == "-" ? "" : args.one("netns"),
                                            ip, port, args.one("body"), args.freebind});
    int signal = 0;
    while (sigwait(&signals, &signal) != 0) {
    }
    server.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    try {
        args = parse(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "netns_probe: %s\nusage: netns_probe probe|watch|serve ... (see "
                     "tests/tools/netns_probe.cpp)\n",
                     e.what());
        return 2;
    }
    try {
        if (args.mode == "probe") return probe(args);
        if (args.mode == "watch") return watch(args);
        if (args.mode == "serve") return serve(args);
        std::fprintf(stderr, "netns_probe: unknown mode %s\n", args.mode.c_str());
        return 2;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "netns_probe: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netns_probe: %s\n", e.what());
        return 1;
    }
}
