// Listener sockets: binding an address this host does not hold yet (IP_FREEBIND), which a peer
// needs for the virtual IP it may take over later. No packet is sent to that address.
#include "tests/e2e/e2e_fixture.h"

namespace lb::test {
namespace {

TEST_CASE("a listener may bind an address the host does not hold (IP_FREEBIND)",
          "[e2e][listener]") {
    BackendServer site(kSiteA, 0, echo_handler());
    const Front front = free_front();
    LbConfig config = front_config(front, site.port());
    // 192.0.2.0/24 (TEST-NET-1) is on no interface here: without IP_FREEBIND bind() fails with
    // EADDRNOTAVAIL and lb refuses to start.
    config.listeners.push_back({"vip", "192.0.2.44:" + std::to_string(front.port), site.port()});
    auto lb = start_lb(config);
    INFO("lb log:\n" << lb->log_text());
    CHECK(lb->log_text().find("vip=192.0.2.44:" + std::to_string(front.port)) != std::string::npos);

    // The other listener serves as usual.
    Fd client = connect_front(front);
    const Payload message = Payload::random(4096, 11);
    const Duplex got = duplex(client.get(), message, true, deadline_in(10s));
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.received_checksum == message.checksum());
}

}  // namespace
}  // namespace lb::test
