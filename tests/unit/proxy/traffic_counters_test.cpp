// The data path's counters: what each event moves, sums over the workers' sinks (with `max` the
// highest concurrency across workers, not a sum of per-worker peaks), typed error reasons by site,
// and entries that exist at 0 from the first route and survive reloads.
#include "lb/proxy/traffic_counters.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace lb {
namespace {

using metrics::ConnectionError;

const std::array<std::string, kTrafficSites> kSites = {"site-a", "site-b"};

std::uint64_t error_count(const metrics::ListenerSample& sample, std::size_t site,
                          ConnectionError reason) {
    return sample.errors.at(site)[static_cast<std::size_t>(reason)];
}

const metrics::ListenerSample* find_sample(const std::vector<metrics::ListenerSample>& samples,
                                           const std::string& listener) {
    for (const auto& sample : samples)
        if (sample.listener == listener) return &sample;
    return nullptr;
}

TEST_CASE("each event moves its listener's and its site's counts", "[unit][traffic]") {
    TrafficCounters traffic;
    const RouteCounters https = traffic.sink(0).route("https", kSites);

    https.opened(0);
    https.bytes(0, 10, 200);
    https.error(0, ConnectionError::ConnectTimeout);
    https.retried(0, 1);  // the same client, now on site-b
    https.bytes(1, 1, 2);
    https.rejected();

    ListenerTotals listener = traffic.listener("https");
    CHECK(listener.active == 1);
    CHECK(listener.max == 1);
    CHECK(listener.total == 1);  // one client connection, retried or not
    CHECK(listener.rejected == 1);
    CHECK(listener.bytes_to_site == 11);
    CHECK(listener.bytes_to_client == 202);

    SiteTotals a = traffic.site("site-a");
    SiteTotals b = traffic.site("site-b");
    CHECK(a.active == 0);  // the retry moved the connection away
    CHECK(a.max == 1);
    CHECK(a.total == 1);
    CHECK(a.connect_errors == 1);
    CHECK(a.bytes_to_site == 10);
    CHECK(a.bytes_to_client == 200);
    CHECK(b.active == 1);
    CHECK(b.total == 1);
    CHECK(b.connect_errors == 0);
    CHECK(b.bytes_to_site == 1);
    CHECK(b.bytes_to_client == 2);

    https.error(1, ConnectionError::Reset);
    https.closed(1);
    listener = traffic.listener("https");
    b = traffic.site("site-b");
    CHECK(listener.active == 0);
    CHECK(listener.max == 1);
    CHECK(b.active == 0);
    CHECK(b.connect_errors == 0);  // a reset is not a connect error
}

TEST_CASE("only refused and timed-out connects are the site's connect errors", "[unit][traffic]") {
    TrafficCounters traffic;
    const RouteCounters https = traffic.sink(0).route("https", kSites);
    https.error(1, ConnectionError::ConnectRefused);
    https.error(1, ConnectionError::ConnectTimeout);
    https.error(1, ConnectionError::Limit);  // this host out of fds: not the site's fault
    https.error(1, ConnectionError::Reset);
    https.error(1, ConnectionError::ProxyHeader);
    https.error(7, ConnectionError::ConnectRefused);  // no such site: ignored
    CHECK(traffic.site("site-b").connect_errors == 2);
    CHECK(traffic.site("site-a").connect_errors == 0);

    const auto samples = traffic.sample();
    const auto* sample = find_sample(samples, "https");
    REQUIRE(sample != nullptr);
    for (const ConnectionError reason : metrics::kConnectionErrors) {
        INFO(metrics::to_string(reason));
        CHECK(error_count(*sample, 0, reason) == 0);
        CHECK(error_count(*sample, 1, reason) == 1);
        CHECK(sample->errors_no_site[static_cast<std::size_t>(reason)] == 0);
    }
}

TEST_CASE("totals sum every worker's sink", "[unit][traffic]") {
    TrafficCounters traffic;
    const RouteCounters w0 = traffic.sink(0).route("https", kSites);
    const RouteCounters w1 = traffic.sink(1).route("https", kSites);
    CHECK_FALSE(w0 == w1);  // each worker writes its own entries

    w0.opened(0);
    w0.bytes(0, 5, 7);
    w0.rejected();
    w1.opened(0);
    w1.bytes(0, 50, 70);
    w1.error(0, ConnectionError::ConnectRefused);
    w1.rejected();

    const ListenerTotals listener = traffic.listener("https");
    CHECK(listener.total == 2);
    CHECK(listener.rejected == 2);
    CHECK(listener.bytes_to_site == 55);
    CHECK(listener.bytes_to_client == 77);
    const SiteTotals site = traffic.site("site-a");
    CHECK(site.total == 2);
    CHECK(site.connect_errors == 1);
    CHECK(site.bytes_to_site == 55);

    const auto samples = traffic.sample();
    REQUIRE(samples.size() == 1);
    CHECK(samples[0].connections[0] == 2);
    CHECK(samples[0].connections[1] == 0);
    CHECK(error_count(samples[0], 0, ConnectionError::ConnectRefused) == 1);
    CHECK(samples[0].errors_no_site[static_cast<std::size_t>(ConnectionError::Limit)] == 2);
    CHECK(samples[0].bytes_to_site == 55);
    CHECK(samples[0].bytes_to_client == 77);
}

TEST_CASE("max is the highest concurrency across workers, not a sum of peaks", "[unit][traffic]") {
    TrafficCounters traffic;
    const RouteCounters w0 = traffic.sink(0).route("https", kSites);
    const RouteCounters w1 = traffic.sink(1).route("https", kSites);

    // One connection at a time, on alternating workers: each worker peaked at 1, and so did lb.
    w0.opened(0);
    w0.closed(0);
    w1.opened(0);
    w1.closed(0);
    CHECK(traffic.listener("https").max == 1);
    CHECK(traffic.site("site-a").max == 1);

    // Three at once over two workers.
    w0.opened(0);
    w0.opened(1);
    w1.opened(0);
    CHECK(traffic.listener("https").active == 3);
    CHECK(traffic.listener("https").max == 3);
    CHECK(traffic.site("site-a").max == 2);
    CHECK(traffic.site("site-b").max == 1);
    w0.closed(0);
    w0.closed(1);
    w1.closed(0);
    CHECK(traffic.listener("https").active == 0);
    CHECK(traffic.listener("https").max == 3);
}

TEST_CASE("workers counting at once sum exactly", "[unit][traffic]") {
    TrafficCounters traffic;
    constexpr std::size_t kWorkers = 4;
    constexpr std::uint64_t kPerWorker = 20000;
    std::vector<RouteCounters> routes;
    for (std::size_t w = 0; w < kWorkers; ++w)
        routes.push_back(traffic.sink(w).route("https", kSites));
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < kWorkers; ++w) {
        threads.emplace_back([route = routes[w], w] {
            for (std::uint64_t i = 0; i < kPerWorker; ++i) {
                route.opened(w % 2);
                route.bytes(w % 2, 1, 2);
                route.closed(w % 2);
            }
        });
    }
    // Reading while they count is allowed (and must not disturb them).
    for (int i = 0; i < 100; ++i) CHECK(traffic.listener("https").active <= kWorkers);
    for (auto& thread : threads) thread.join();

    const ListenerTotals listener = traffic.listener("https");
    CHECK(listener.total == kWorkers * kPerWorker);
    CHECK(listener.active == 0);
    CHECK(listener.max >= 1);
    CHECK(listener.max <= kWorkers);
    CHECK(listener.bytes_to_site == kWorkers * kPerWorker);
    CHECK(listener.bytes_to_client == 2 * kWorkers * kPerWorker);
    CHECK(traffic.site("site-a").total == kWorkers / 2 * kPerWorker);
    CHECK(traffic.site("site-b").total == kWorkers / 2 * kPerWorker);
}

TEST_CASE("every routed listener is sampled at 0, and kept after a reload", "[unit][traffic]") {
    TrafficCounters traffic;
    TrafficSink& sink = traffic.sink(0);
    const RouteCounters http = sink.route("http", kSites);
    (void)sink.route("https", kSites);

    auto samples = traffic.sample();
    REQUIRE(samples.size() == 2);
    for (const auto& sample : samples) {
        INFO(sample.listener);
        CHECK(sample.active == 0);
        CHECK(sample.connections == std::vector<std::uint64_t>{0, 0});
        CHECK(sample.errors.size() == kTrafficSites);
        CHECK(sample.errors_no_site == metrics::ErrorCounts{});
        CHECK(sample.bytes_to_site == 0);
    }

    // A reload drops https, keeps http, renames site-b: http keeps its listener entry, site-c is
    // new, and a session still draining on the old route counts on into the same listener.
    http.opened(1);
    const RouteCounters reloaded = sink.route("http", {"site-a", "site-c"});
    CHECK_FALSE(reloaded == http);  // the sites differ
    reloaded.opened(1);
    http.closed(1);
    samples = traffic.sample();
    CHECK(samples.size() == 2);
    const auto* sample = find_sample(samples, "http");
    REQUIRE(sample != nullptr);
    CHECK(sample->connections[1] == 2);
    CHECK(sample->active == 1);
    CHECK(traffic.listener("http").total == 2);
    CHECK(traffic.site("site-b").total == 1);
    CHECK(traffic.site("site-b").active == 0);
    CHECK(traffic.site("site-c").active == 1);
    CHECK(find_sample(samples, "https") != nullptr);
}

TEST_CASE("names never counted read as zeros", "[unit][traffic]") {
    TrafficCounters traffic;
    CHECK(traffic.listener("nope").total == 0);
    CHECK(traffic.site("nope").max == 0);
    CHECK(traffic.sample().empty());
}

}  // namespace
}  // namespace lb
