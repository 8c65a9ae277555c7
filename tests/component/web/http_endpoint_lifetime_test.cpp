// Connection lifetime (STYLE §3.3): the endpoint's table owns each connection until its last
// close callback, so stopping or destroying the endpoint in any phase of a request (head half
// read, response half written, lingering for the client's FIN) frees everything: the loop closes
// with 0 and, under ASan, nothing leaks and nothing is used after it is freed.
#include <sys/ioctl.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/component/web/endpoint_fixture.h"

namespace lb::web {
namespace {

using namespace std::chrono_literals;
using testing::EndpointFixture;

// Far more than loopback socket buffers hold (tcp_wmem and tcp_rmem allow some 10 MiB at most):
// the response stays half written while the client does not read.
constexpr std::size_t kHugeBody = std::size_t{32} << 20;

HttpEndpoint::MetricsText huge_metrics() {
    return [] { return std::string(kHugeBody, 'x'); };
}

// A client that asked for the huge body and reads nothing: its response is in flight.
test::Fd stalled_reader(std::uint16_t port, test::Deadline deadline) {
    test::Fd fd = test::connect_tcp("127.0.0.1", port, deadline);
    REQUIRE(fd.valid());
    REQUIRE(test::send_all(fd.get(), "GET /metrics HTTP/1.1\r\nHost: lb\r\n\r\n", deadline) ==
            test::IoStatus::Ok);
    // The response has started: the write is under way.
    REQUIRE(test::wait_until(
        [&] {
            int pending = 0;
            return ::ioctl(fd.get(), FIONREAD, &pending) == 0 && pending > 0;
        },
        deadline));
    return fd;
}

// A client whose response is complete and whose FIN the server is waiting for.
test::Fd lingering_client(std::uint16_t port, test::Deadline deadline) {
    test::Fd fd = test::connect_tcp("127.0.0.1", port, deadline);
    REQUIRE(fd.valid());
    REQUIRE(test::send_all(fd.get(), "GET /status.json HTTP/1.1\r\nHost: lb\r\n\r\n", deadline) ==
            test::IoStatus::Ok);
    const test::Received reply = test::recv_until_eof(fd.get(), deadline);
    REQUIRE(reply.status == test::IoStatus::Eof);
    CHECK(reply.data.starts_with("HTTP/1.1 200 "));
    return fd;  // still open: no FIN from us
}

TEST_CASE("stop() with a response half written to a client that does not read frees it",
          "[component][metrics][lifetime]") {
    EndpointFixture fixture({}, "127.0.0.1:0", huge_metrics());
    REQUIRE(fixture.start_error().empty());
    const auto deadline = test::deadline_in(20s);
    const test::Fd reader = stalled_reader(fixture.port(), deadline);
    REQUIRE(fixture.connections() == 1);

    fixture.stop_endpoint();
    CHECK(test::wait_until([&] { return fixture.connections() == 0; }, deadline));
    CHECK(test::is_closed_within(reader.get(), deadline));
    CHECK(fixture.finish() == 0);
}

TEST_CASE("destroying the endpoint mid-request in every phase frees every connection",
          "[component][metrics][lifetime]") {
    HttpEndpoint::Limits limits;
    limits.timeout = 10s;  // nobody is closed by a deadline during the test
    EndpointFixture fixture(limits, "127.0.0.1:0", huge_metrics());
    REQUIRE(fixture.start_error().empty());
    const auto deadline = test::deadline_in(20s);

    const test::Fd idle = test::connect_tcp("127.0.0.1", fixture.port(), deadline);
    const test::Fd partial = test::connect_tcp("127.0.0.1", fixture.port(), deadline);
    REQUIRE(idle.valid());
    REQUIRE(partial.valid());
    REQUIRE(test::send_all(partial.get(), "GET /status", deadline) == test::IoStatus::Ok);
    const test::Fd reader = stalled_reader(fixture.port(), deadline);
    const test::Fd lingering = lingering_client(fixture.port(), deadline);
    REQUIRE(test::wait_until([&] { return fixture.connections() == 4; }, deadline));

    CHECK(fixture.finish() == 0);  // destroys the endpoint, then the loop must run out
    for (const test::Fd* fd : {&idle, &partial, &reader, &lingering})
        CHECK(test::is_closed_within(fd->get(), deadline));
}

TEST_CASE("many connections opening and closing leave the table empty",
          "[component][metrics][lifetime]") {
    HttpEndpoint::Limits limits;
    limits.max_connections = 16;
    EndpointFixture fixture(limits);
    REQUIRE(fixture.start_error().empty());
    const auto deadline = test::deadline_in(60s);

    for (int round = 0; round < 10; ++round) {
        std::vector<test::Fd> clients;
        for (int i = 0; i < 20; ++i) {  // over the cap: some are turned away with 503
            clients.push_back(test::connect_tcp("127.0.0.1", fixture.port(), deadline));
            REQUIRE(clients.back().valid());
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            const int fd = clients[i].get();
            switch (i % 4) {
                case 0:  // a whole request, then leave without reading
                    (void)test::send_all(fd, "GET /metrics HTTP/1.1\r\n\r\n", deadline);
                    break;
                case 1:  // half a head, then a reset
                    (void)test::send_all(fd, "GET /met", deadline);
                    test::set_reset_on_close(fd);
                    break;
                case 2:  // FIN before the head is complete
                    (void)test::send_all(fd, "GET / HTTP/1.1\r\n", deadline);
                    (void)test::shutdown_write(fd);
                    break;
                default:  // nothing at all
                    break;
            }
        }
        clients.clear();
        REQUIRE(test::wait_until([&] { return fixture.connections() == 0; }, deadline));
        // Connections still in the kernel's accept queue (closed by their clients, not yet
        // accepted) may fill the table again for a moment: the endpoint must serve once they
        // are gone.
        CHECK(test::wait_until(
            [&] { return testing::http_get(fixture.port(), "/status.json").status == 200; },
            deadline));
    }
    CHECK(test::wait_until([&] { return fixture.connections() == 0; }, deadline));
    CHECK(fixture.finish() == 0);
}

}  // namespace
}  // namespace lb::web
