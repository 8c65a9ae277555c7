// End-to-end tests of the data path against a real `lb` on loopback: bulk transfers both ways,
// half-close in both directions, backpressure (bounded memory), IPv6, the tcplog line, many
// concurrent sessions, and that the default config forwards by splice(2) (lb holds kernel pipes
// while bytes wait in it). Set LB_TEST_EXTRA_GLOBAL (e.g. "splice = false") to pick a variant.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace lb::test {
namespace {

TEST_CASE("16 MiB each way, sent simultaneously, arrive intact", "[e2e][data]") {
    const Payload up = Payload::random(16 * kMiB, 1);
    const Payload down = Payload::random(16 * kMiB, 2);
    BackendServer site(kSiteA, 0, reply_handler(down, ReplyWhen::Concurrently));
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    const Duplex got = duplex(client.get(), up, /*shutdown_after=*/true, deadline_in(30s));
    INFO("client: " << to_string(got.status) << ", sent " << got.sent << ", received "
                    << got.received);
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.sent == up.size());
    CHECK(got.received == down.size());
    CHECK(got.received_checksum == down.checksum());

    const auto seen = site.wait_for_record([](const ConnectionRecord& r) { return r.received > 0; },
                                           deadline_in(10s));
    REQUIRE(seen);
    CHECK(seen->end == IoStatus::Eof);
    CHECK(seen->received == up.size());
    CHECK(seen->checksum == up.checksum());
    CHECK(seen->sent == down.size());

    client.reset();
    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "--");
    CHECK(log->bytes_to_site == up.size());
    CHECK(log->bytes_to_client == down.size());
}

TEST_CASE("client half-close: the client shuts down writing and still gets the whole reply",
          "[e2e][data][half-close]") {
    const Payload request = Payload::random(kMiB, 3);
    const Payload reply = Payload::random(kMiB, 4);
    BackendServer site(kSiteA, 0, reply_handler(reply, ReplyWhen::AfterEof));
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    REQUIRE(send_all(client.get(), request.materialize(), deadline_in(10s)) == IoStatus::Ok);
    REQUIRE(shutdown_write(client.get()));
    // The site replies only after it saw our FIN: the reply proves the FIN was forwarded and the
    // other direction stayed open.
    const Received got = recv_until_eof(client.get(), deadline_in(10s));
    INFO("client read ended with " << to_string(got.status) << " after " << got.data.size()
                                   << " bytes");
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.data.size() == reply.size());
    CHECK(got.data == reply.materialize());

    const auto seen = site.wait_for_record([](const ConnectionRecord& r) { return r.received > 0; },
                                           deadline_in(5s));
    REQUIRE(seen);
    CHECK(seen->received == request.size());
    CHECK(seen->checksum == request.checksum());

    client.reset();
    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "--");
    CHECK(log->bytes_to_site == request.size());
    CHECK(log->bytes_to_client == reply.size());
}

TEST_CASE("site half-close: the site replies and shuts down first, the client keeps sending",
          "[e2e][data][half-close]") {
    const Payload reply = Payload::random(kMiB, 5);
    const Payload request = Payload::random(kMiB, 6);
    BackendServer site(kSiteA, 0, reply_handler(reply, ReplyWhen::First));
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    // Read the whole reply and its FIN before sending anything.
    const Received got = recv_until_eof(client.get(), deadline_in(10s));
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.data == reply.materialize());
    // Our direction must still be open after the site's FIN.
    const IoStatus sent = send_all(client.get(), request.materialize(), deadline_in(10s));
    CHECK(sent == IoStatus::Ok);
    client.reset();  // everything was read, so this is a FIN, not a reset

    const auto seen = site.wait_for_record([](const ConnectionRecord& r) { return r.received > 0; },
                                           deadline_in(10s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(seen);
    CHECK(seen->end == IoStatus::Eof);
    CHECK(seen->received == request.size());
    CHECK(seen->checksum == request.checksum());

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    REQUIRE(log);
    CHECK(log->term == "--");
    CHECK(log->bytes_to_site == request.size());
    CHECK(log->bytes_to_client == reply.size());
}

TEST_CASE("a slow reader keeps lb's memory bounded while 256 MiB flow to it",
          "[e2e][data][backpressure]") {
    // A block of 1 MiB + 13 repeated: chunk boundaries never line up with the reads.
    const Payload stream = Payload::random(256 * kMiB, 7, kMiB + 13);
    BackendServer site(kSiteA, 0, reply_handler(stream, ReplyWhen::First));
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));
    const auto rss_before = lb->rss_kib();
    REQUIRE(rss_before);

    Fd client = connect_front(front);
    const Deadline deadline = deadline_in(40s);
    std::vector<char> buffer(256 << 10);
    Fnv1a hash;
    std::uint64_t received = 0;
    long rss_max = *rss_before;
    IoStatus status = IoStatus::Ok;
    // At most one iteration per 256 KiB (plus short reads), each bounded by the deadline.
    for (int i = 0; i < 1'000'000 && status == IoStatus::Ok; ++i) {
        std::size_t filled = 0;
        while (filled < buffer.size()) {
            const ReadResult r =
                recv_some(client.get(), std::span(buffer).subspan(filled), deadline);
            status = r.status;
            if (status != IoStatus::Ok) break;
            filled += r.bytes;
        }
        hash.update(std::string_view(buffer.data(), filled));
        received += filled;
        rss_max = std::max(rss_max, lb->rss_kib().value_or(0));
        std::this_thread::sleep_for(1500us);  // the slow reader: the stimulus, not a wait
    }
    INFO("read ended with " << to_string(status) << " after " << received << " bytes; lb RSS "
                            << *rss_before << " KiB before, " << rss_max << " KiB at most");
    CHECK(status == IoStatus::Eof);
    CHECK(received == stream.size());
    CHECK(hash.value() == stream.checksum());
    // The claim: bounded by the pools (buffers or kernel pipes), not by the stream: 2 MiB.
    CHECK(rss_max - *rss_before <= 2 * 1024);
}

TEST_CASE("IPv6: a round trip through [::1] and the log shows [::1]:port", "[e2e][data][ipv6]") {
    // Only a host without ::1 skips (exit 77, SKIP_RETURN_CODE): where the test can bind [::1]
    // itself, lb must too, or the test fails.
    try {
        (void)listen_tcp("::1", 0, 1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "skipped: this host has no IPv6 loopback (%s)\n", e.what());
        std::_Exit(77);
    }
    BackendServer site("::1", 0, echo_handler());
    const Front front = free_front("::1");
    auto lb = start_lb(front_config(front, site.port(), "::1"));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    const Payload message = Payload::random(64 << 10, 8);
    const Duplex got = duplex(client.get(), message, true, deadline_in(10s));
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.received == message.size());
    CHECK(got.received_checksum == message.checksum());
    client.reset();

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->client == "[::1]:" + std::to_string(client_port));
    CHECK(log->site == "site-a");
    CHECK(log->term == "--");
    CHECK(log->bytes_to_site == message.size());
    CHECK(log->bytes_to_client == message.size());
}

// `config` as lb.toml in `workspace`, with `splice` as given (true, false) or absent (nullopt:
// lb's default), whatever LB_TEST_EXTRA_GLOBAL says.
void write_with_splice(const LbWorkspace& workspace, const LbConfig& config,
                       std::optional<bool> splice) {
    std::istringstream rendered(config.render(workspace.state_file(), workspace.admin_socket()));
    std::string text;
    for (std::string line; std::getline(rendered, line);) {
        if (line.starts_with("splice")) continue;
        text += line + "\n";
        if (line == "[global]" && splice)
            text += std::string("splice = ") + (*splice ? "true" : "false") + "\n";
    }
    write_file(workspace.config_path(), text);
}

TEST_CASE("splice is the default: lb leases kernel pipes while bytes flow, none with splice off",
          "[e2e][data][splice][one-path]") {
    const auto [what, splice, expect_pipes] =
        GENERATE(table<const char*, std::optional<bool>, bool>(
            {{"default config", std::nullopt, true}, {"splice = false", false, false}}));
    INFO(what);
    const Payload stream = Payload::random(32 * kMiB, 21, kMiB + 7);
    BackendServer site(kSiteA, 0, reply_handler(stream, ReplyWhen::First));
    const Front front = free_front();
    LbWorkspace workspace;
    write_with_splice(workspace, front_config(front, site.port()), splice);
    auto lb = start_lb(workspace);
    INFO("config:\n" << lb->config_text());

    // What an idle lb holds anyway (libuv's signal pipe, ...): no session has run yet.
    const auto idle = open_pipes(lb->pid());
    REQUIRE(idle);

    // A slow reader: the site's bytes queue up inside lb between the two sockets.
    Fd client = connect_front(front);
    const Deadline deadline = deadline_in(60s);
    std::vector<char> buffer(64 << 10);
    std::uint64_t received = 0;
    std::size_t most_pipes = *idle;
    IoStatus status = IoStatus::Ok;
    for (int i = 0; i < 100'000 && status == IoStatus::Ok; ++i) {
        // Sampled while lb is stalled on the client: the moment it holds what is in flight.
        most_pipes = std::max(most_pipes, open_pipes(lb->pid()).value_or(0));
        const ReadResult r = recv_some(client.get(), buffer, deadline);
        status = r.status;
        received += r.bytes;
    }
    INFO("idle lb: " << *idle << " pipes; during the transfer at most " << most_pipes);
    CHECK(status == IoStatus::Eof);
    CHECK(received == stream.size());
    if (expect_pipes)
        CHECK(most_pipes > *idle);
    else
        CHECK(most_pipes == *idle);
}

// "DD/Mon/YYYY" for `when`, in UTC or local time.
std::string log_date(std::time_t when, bool utc) {
    std::tm parts{};
    if (utc)
        gmtime_r(&when, &parts);
    else
        localtime_r(&when, &parts);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%d/%b/%Y", &parts);
    return std::string(text.data(), n);
}

TEST_CASE("tcplog: one line per connection with its fields and byte counts", "[e2e][log]") {
    const std::string request(1000, 'q');
    const Payload reply = Payload::random(2345, 9);
    BackendServer site(kSiteA, 0, reply_handler(reply, ReplyWhen::AfterEof));
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    REQUIRE(send_all(client.get(), request, deadline_in(5s)) == IoStatus::Ok);
    REQUIRE(shutdown_write(client.get()));
    const Received got = recv_until_eof(client.get(), deadline_in(5s));
    REQUIRE(got.data.size() == reply.size());
    client.reset();

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->client_ip == "127.0.0.1");
    CHECK(log->client == "127.0.0.1:" + std::to_string(client_port));
    const std::time_t now = std::time(nullptr);
    const std::string date = log->timestamp.substr(0, 11);
    CHECK((date == log_date(now, true) || date == log_date(now, false) ||
           date == log_date(now - 60, true) || date == log_date(now - 60, false)));
    CHECK(log->listener == "front");
    CHECK(log->site == "site-a");
    CHECK(log->tc_ms >= 0);
    CHECK(log->tt_ms >= log->tc_ms);
    CHECK(log->tt_ms < 5000);
    CHECK(log->bytes_to_client == reply.size());
    CHECK(log->bytes_to_site == request.size());
    CHECK(log->term == "--");
    CHECK(log->actconn >= 0);
    CHECK(log->retries == 0);

    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    CHECK(stopped.exit_code == 0);
    // Exactly one line: health checks and the listener itself log none.
    CHECK(lb->tcplog_lines().size() == 1);
}

TEST_CASE("tcplog: log_format = \"none\" prints no connection lines", "[e2e][log]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.log_format = "none";
    auto lb = start_lb(config);

    for (int i = 0; i < 3; ++i) {
        Fd client = connect_front(front);
        const Duplex got = duplex(client.get(), Payload::text("hello"), true, deadline_in(5s));
        CHECK(got.received == 5);
    }
    // Once lb has exited every line it would print is in the file: nothing is left to chance.
    const StopResult stopped = lb->stop(SIGTERM, deadline_in(10s));
    CHECK(stopped.exit_code == 0);
    INFO("lb log:\n" << log_of(*lb));
    CHECK(lb->tcplog_lines().empty());
}

TEST_CASE("200 concurrent clients each get their 64 KiB echoed intact", "[e2e][data][many]") {
    constexpr int kClients = 200;
    constexpr int kThreads = 8;
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    config.workers = 2;
    auto lb = start_lb(config);

    // Every connection is open before any transfer starts, so lb holds all 200 at once.
    std::vector<Fd> clients;
    std::vector<Payload> payloads;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(connect_front(front));
        payloads.push_back(Payload::random(64 << 10, 100 + static_cast<std::uint64_t>(i)));
    }
    std::vector<Duplex> results(kClients);
    const Deadline deadline = deadline_in(60s);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (auto i = static_cast<std::size_t>(t); i < clients.size(); i += kThreads)
                results[i] = duplex(clients[i].get(), payloads[i], true, deadline);
        });
    for (std::thread& thread : threads) thread.join();

    int ok = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const bool good = results[i].status == IoStatus::Eof &&
                          results[i].received == payloads[i].size() &&
                          results[i].received_checksum == payloads[i].checksum();
        if (!good)
            UNSCOPED_INFO("client " << i << ": " << to_string(results[i].status) << ", received "
                                    << results[i].received << " of " << payloads[i].size());
        ok += good ? 1 : 0;
    }
    CHECK(ok == kClients);
}

}  // namespace
}  // namespace lb::test
