// Listener on a real listening socket: clients arrive as raw fds, non-blocking and close-on-exec,
// with TCP_NODELAY inherited from the listening socket (set once there, not per connection).
#include "lb/proxy/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

#include "lb/proxy/listen_socket.h"
#include "tests/support/loop_runner.h"
#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

class Accepted final : public ListenerEvents {
public:
    std::vector<Fd> clients;
    std::vector<int> errors;

private:
    void on_client_accepted(std::size_t, int fd) noexcept override { clients.emplace_back(fd); }
    void on_accept_error(std::size_t, int status) noexcept override { errors.push_back(status); }
};

TEST_CASE("listener: a burst of clients is accepted as raw non-blocking fds with TCP_NODELAY",
          "[component][proxy]") {
    TestLoop loop;
    {
        const auto loopback = SocketAddress::parse_ip("127.0.0.1");
        REQUIRE(loopback.has_value());
        auto fd = open_listen_socket(loopback->with_port(0));
        REQUIRE(fd.ok());
        const std::uint16_t port = local_port(fd.value());
        Accepted events;
        Listener listener(events, 0, "front", loopback->with_port(port));
        REQUIRE(listener.start(loop.get(), fd.value()) == 0);

        constexpr int kClients = 150;  // more than one accept batch
        std::vector<Fd> connected;
        for (int i = 0; i < kClients; ++i) {
            connected.push_back(connect_tcp("127.0.0.1", port, deadline_in(5s)));
            REQUIRE(connected.back().valid());
        }
        REQUIRE(loop.run_until([&] { return events.clients.size() == kClients; }, 5s));
        CHECK(events.errors.empty());
        for (const Fd& client : events.clients) {
            CHECK((::fcntl(client.get(), F_GETFL) & O_NONBLOCK) != 0);
            CHECK((::fcntl(client.get(), F_GETFD) & FD_CLOEXEC) != 0);
            int nodelay = 0;
            socklen_t length = sizeof nodelay;
            REQUIRE(::getsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &length) == 0);
            CHECK(nodelay != 0);
        }
        listener.close();
        CHECK_FALSE(listener.open());
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
