// A reset on one side of a proxied connection is passed on as a reset on the other (SO_LINGER 0),
// never turned into a clean FIN that the peer would take for a complete answer.
#include <sys/socket.h>

#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace lb::test {
namespace {

// The site reads the client's request, then aborts the connection with a RST.
BackendServer::Handler reset_after_request() {
    return [](ServerConnection& connection) {
        std::string request;
        connection.record.end =
            recv_exact(connection.fd(), 5, request, deadline_in(10s), connection.stop_fd());
        connection.record.received = request.size();
        set_reset_on_close(connection.fd());
        connection.publish();
        ::shutdown(connection.fd(), SHUT_RD);  // the Fd closes (with the RST) when the handler ends
    };
}

TEST_CASE("a site reset reaches the client as a reset, logged SD", "[e2e][data][reset]") {
    BackendServer site(kSiteA, 0, reset_after_request());
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    REQUIRE(send_all(client.get(), "hello", deadline_in(5s)) == IoStatus::Ok);
    const Received got = recv_until_eof(client.get(), deadline_in(10s));
    INFO("client saw: " << to_string(got.status));
    CHECK(got.status == IoStatus::Reset);

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "SD");
    CHECK(log->bytes_to_site == 5);
}

TEST_CASE("a client reset reaches the site as a reset, logged CD", "[e2e][data][reset]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    auto lb = start_lb(front_config(front, site.port()));

    Fd client = connect_front(front);
    const std::uint16_t client_port = local_port(client.get());
    const std::string message(1000, 'x');
    REQUIRE(send_all(client.get(), message, deadline_in(5s)) == IoStatus::Ok);
    std::string echoed;
    REQUIRE(recv_exact(client.get(), message.size(), echoed, deadline_in(5s)) == IoStatus::Ok);
    set_reset_on_close(client.get());
    client.reset();  // RST

    // Health checks connect and close too: the proxied connection is the one that got data.
    const auto seen = site.wait_for_record(
        [](const ConnectionRecord& r) { return r.finished && r.received > 0; }, deadline_in(10s));
    REQUIRE(seen);
    INFO("site saw: " << to_string(seen->end));
    CHECK(seen->end == IoStatus::Reset);

    const auto log = lb->wait_for_tcplog(client_port, deadline_in(5s));
    INFO("lb log:\n" << log_of(*lb));
    REQUIRE(log);
    CHECK(log->term == "CD");
}

}  // namespace
}  // namespace lb::test
