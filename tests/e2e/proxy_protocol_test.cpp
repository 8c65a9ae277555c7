// PROXY protocol to the gateway, against a real NGINX listening with `proxy_protocol`: the
// addresses NGINX reads from the header ($proxy_protocol_addr/_port, _server_addr/_port) are the
// client socket's and the listener's, for v1 and v2, IPv4 and IPv6. Runs on both forwarding paths
// (the e2e-copy variant re-runs it with splice = false).
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/lb_process.h"
#include "tests/support/nginx_server.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test {
namespace {

// What NGINX read from the header, one line: "client-addr client-port listener-addr
// listener-port", and the connection's own peer (lb) after a '|'.
NginxOptions proxy_protocol_gateway() {
    NginxServerBlock server;
    server.address = kSiteA;
    server.proxy_protocol = true;
    server.extra =
        "location = /pp { return 200 \"$proxy_protocol_addr $proxy_protocol_port "
        "$proxy_protocol_server_addr $proxy_protocol_server_port|$realip_remote_addr\\n\"; }";
    return NginxOptions{{server}, {}};
}

// One request through `ip`:`port`; returns the reply's body and the client's own port.
struct Through {
    std::string body;
    std::uint16_t client_port = 0;
};

Through request_through(const std::string& ip, std::uint16_t port) {
    Fd fd = connect_front(Front{ip, port});
    Through out;
    out.client_port = local_port(fd.get());
    REQUIRE(send_all(fd.get(), "GET /pp HTTP/1.0\r\nHost: gw\r\n\r\n", deadline_in(5s)) ==
            IoStatus::Ok);
    const Received reply = recv_until_eof(fd.get(), deadline_in(5s));
    INFO(reply.data);
    REQUIRE(reply.data.starts_with("HTTP/1.1 200"));
    out.body = reply.data.substr(reply.data.find("\r\n\r\n") + 4);
    return out;
}

TEST_CASE("proxy_protocol v1 and v2: NGINX reads the client's and the listener's address and "
          "port, IPv4 and IPv6",
          "[e2e][proxy-protocol]") {
    NginxServer gateway(proxy_protocol_gateway());
    const std::uint16_t v1_port = free_port();
    const std::uint16_t v2_port = free_port();
    const std::uint16_t v1_port6 = free_port("::1");
    const std::uint16_t v2_port6 = free_port("::1");
    LbConfig config;
    config.sites = {{"site-a", kSiteA, "primary"}, {"site-b", kSiteB, "standby"}};
    config.listeners = {
        {"v1", endpoint(kClientIp, v1_port), gateway.port(), "v1"},
        {"v2", endpoint(kClientIp, v2_port), gateway.port(), "v2"},
        {"v1-ipv6", endpoint("::1", v1_port6), gateway.port(), "v1"},
        {"v2-ipv6", endpoint("::1", v2_port6), gateway.port(), "v2"},
    };
    const auto lb = start_lb(config);

    struct Case {
        std::string name;
        std::string ip;
        std::uint16_t port;
    };
    for (const Case& c : {Case{"v1", kClientIp, v1_port}, Case{"v2", kClientIp, v2_port},
                          Case{"v1 over IPv6", "::1", v1_port6},
                          Case{"v2 over IPv6", "::1", v2_port6}}) {
        INFO(c.name);
        INFO(log_of(*lb));
        const Through through = request_through(c.ip, c.port);
        // The header's source is the client socket, its destination the listener; the TCP
        // connection NGINX accepted is lb's (from 127.0.0.1, to the site).
        CHECK(through.body == fmt::format("{} {} {} {}|127.0.0.1\n", c.ip, through.client_port,
                                          c.ip, c.port));
    }
    CHECK(gateway.error_log().find("broken header") == std::string::npos);
}

TEST_CASE("without proxy_protocol the gateway gets the client's bytes unchanged",
          "[e2e][proxy-protocol]") {
    // The same NGINX without proxy_protocol: a header would be a bad request.
    NginxServerBlock plain;
    plain.address = kSiteA;
    plain.extra = "location = /pp { return 200 \"$remote_addr\\n\"; }";
    NginxServer gateway(NginxOptions{{plain}, {}});
    const Front front = free_front();
    const auto lb = start_lb(front_config(front, gateway.port()));
    const Through through = request_through(front.ip, front.port);
    CHECK(through.body == "127.0.0.1\n");
}

}  // namespace
}  // namespace lb::test
