// PROXY protocol, against a real NGINX listening with `proxy_protocol`: the addresses NGINX reads
// from the header ($proxy_protocol_addr/_port, _server_addr/_port) are the client socket's and
// the listener's, for v1 and v2, IPv4 and IPv6; with accept_proxy, the ones the client's own
// header carried (sent by hand, or by a real HAProxy with send-proxy-v2 in front). Runs on both
// forwarding paths (the e2e-copy variant re-runs it with splice = false).
#include <netinet/in.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "config/proxy_header.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/haproxy_process.h"
#include "tests/support/json_reader.h"
#include "tests/support/lb_process.h"
#include "tests/support/nginx_server.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"
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

namespace lb::test {
namespace {

// accept_proxy: lb behind another L4 balancer. What the client's header carries is what lb logs
// and passes on (proxy_protocol = "v2" to the same NGINX).
struct BehindBalancer {
    BehindBalancer() : gateway(proxy_protocol_gateway()) {
        LbConfig config;
        config.sites = {{"site-a", kSiteA, "primary"}, {"site-b", kSiteB, "standby"}};
        config.listeners = {{"front", endpoint(kClientIp, front.port), gateway.port(), "v2"}};
        config.metrics_port = metrics_port;
        config.connect_timeout = "500ms";  // also how long a PROXY header may take
        LbWorkspace& ws = workspace;
        ws.write_config(config);
        // accept_proxy is a listener key: appended to the (only) listener's table.
        write_file(ws.config_path(), read_file(ws.config_path()) + "accept_proxy = true\n");
        lb = start_lb(ws);
    }
    NginxServer gateway;
    Front front = free_front();
    std::uint16_t metrics_port = free_port();
    LbWorkspace workspace;
    std::unique_ptr<LbProcess> lb;
};

std::string body_of(const Received& reply) {
    const auto at = reply.data.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : reply.data.substr(at + 4);
}

TEST_CASE("accept_proxy: the client address in the header is logged and passed on, the bytes "
          "after it are the client's",
          "[e2e][proxy-protocol]") {
    BehindBalancer rig;
    SECTION("v1, header and request in one segment") {
        Fd fd = connect_front(rig.front);
        REQUIRE(send_all(fd.get(),
                         "PROXY TCP4 203.0.113.9 198.51.100.1 40000 443\r\n"
                         "GET /pp HTTP/1.0\r\n\r\n",
                         deadline_in(5s)) == IoStatus::Ok);
        const Received reply = recv_until_eof(fd.get(), deadline_in(5s));
        INFO(reply.data << log_of(*rig.lb));
        CHECK(body_of(reply) == "203.0.113.9 40000 198.51.100.1 443|127.0.0.1\n");
        // Still open on the client's side: listed with the header's address.
        const json::Value sessions =
            ops::admin_json(rig.workspace.admin_socket(), "show sessions json");
        REQUIRE(sessions["sessions"].size() == 1);
        CHECK(sessions["sessions"][0]["client"].string() == "203.0.113.9:40000");
        REQUIRE(shutdown_write(fd.get()));  // the session ends, and its log line is written
        CHECK(wait_until(
            [&] { return log_of(*rig.lb).find("203.0.113.9:40000 [") != std::string::npos; },
            deadline_in(3s)));
    }
    SECTION("v2 over IPv6, sent a few bytes at a time") {
        const std::string header = proxy_header(
            config::ProxyProtocol::V2, *SocketAddress::parse_endpoint("[2001:db8::9]:4242"),
            *SocketAddress::parse_endpoint("[2001:db8::1]:443"));
        const std::string all = header + "GET /pp HTTP/1.0\r\n\r\n";
        Fd fd = connect_front(rig.front);
        for (std::size_t at = 0; at < all.size(); at += 7) {
            REQUIRE(send_all(fd.get(), std::string_view(all).substr(at, 7), deadline_in(5s)) ==
                    IoStatus::Ok);
            std::this_thread::sleep_for(2ms);  // separate segments; the order is what matters
        }
        const Received reply = recv_until_eof(fd.get(), deadline_in(5s));
        INFO(reply.data << log_of(*rig.lb));
        CHECK(body_of(reply) == "2001:db8::9 4242 2001:db8::1 443|127.0.0.1\n");
    }
}

TEST_CASE("accept_proxy: garbage, a late header or none at all close the connection, counted",
          "[e2e][proxy-protocol]") {
    BehindBalancer rig;
    {
        Fd garbage = connect_front(rig.front);
        REQUIRE(send_all(garbage.get(), "GET / HTTP/1.0\r\n\r\n", deadline_in(5s)) ==
                IoStatus::Ok);
        CHECK(is_closed_within(garbage.get(), deadline_in(3s)));
    }
    {
        Fd silent = connect_front(rig.front);  // nothing within timeouts.connect (500ms)
        CHECK(is_closed_within(silent.get(), deadline_in(3s)));
    }
    {
        Fd gone = connect_front(rig.front);
        REQUIRE(send_all(gone.get(), "PROXY TCP4 203.0.", deadline_in(5s)) == IoStatus::Ok);
        REQUIRE(shutdown_write(gone.get()));
        CHECK(is_closed_within(gone.get(), deadline_in(3s)));
    }
    const bool counted = wait_until(
        [&] {
            const auto log = log_of(*rig.lb);
            return log.find(" PR ") != std::string::npos && log.find(" cR ") != std::string::npos &&
                   log.find(" CR ") != std::string::npos;
        },
        deadline_in(3s));
    INFO(log_of(*rig.lb));
    CHECK(counted);
    const Exposition metrics = ops::scrape(rig.metrics_port);
    CHECK(ops::metric(metrics, "lb_connection_errors_total",
                      {{"listener", "front"}, {"site", "-"}, {"reason", "proxy_header"}}) == 3);
    // Nothing reached a site.
    CHECK(ops::metric_sum(metrics, "lb_connections_total", {{"listener", "front"}}) == 0);
    CHECK(rig.gateway.error_log().find("broken header") == std::string::npos);
}

// The balancer in front is a real HAProxy with send-proxy-v2 on its server (lb): the client's
// address reaches the gateway through both.
TEST_CASE("accept_proxy behind a real HAProxy sending PROXY v2", "[e2e][proxy-protocol]") {
    if (HaproxyProcess::binary().empty()) skip_test("haproxy is not installed");
    BehindBalancer rig;
    HaproxyConfig front;
    const std::uint16_t front_port = free_port();
    front.bind = endpoint(kClientIp, front_port);
    front.servers = {{"lb", kClientIp, rig.front.port, false, "send-proxy-v2"}};
    HaproxyProcess haproxy(front);
    REQUIRE(haproxy.wait_ready(deadline_in(10s)));
    Fd fd = connect_front(Front{kClientIp, front_port});
    const std::uint16_t client_port = local_port(fd.get());
    REQUIRE(send_all(fd.get(), "GET /pp HTTP/1.0\r\n\r\n", deadline_in(5s)) == IoStatus::Ok);
    const Received reply = recv_until_eof(fd.get(), deadline_in(5s));
    INFO(reply.data << log_of(*rig.lb) << haproxy.log_text());
    CHECK(body_of(reply) ==
          fmt::format("127.0.0.1 {} 127.0.0.1 {}|127.0.0.1\n", client_port, front_port));
}

}  // namespace
}  // namespace lb::test

namespace lb::test {
namespace {

// [sites.health] proxy_protocol: the check sends a LOCAL header first, which NGINX's
// proxy_protocol port requires of every connection; without it the same check fails there.
TEST_CASE("health checks of a proxy_protocol port send a LOCAL header first",
          "[e2e][proxy-protocol][one-path]") {
    NginxServerBlock a_block;
    a_block.address = kSiteA;
    a_block.proxy_protocol = true;
    a_block.locations = {NginxLocation{"/health", true, 200, "ok\n"}};
    NginxServer a(NginxOptions{{a_block}, {}});
    NginxServerBlock b_block = a_block;
    b_block.address = kSiteB;
    NginxServer b(NginxOptions{{b_block}, {}});
    LbConfig config;
    const std::string http_check = "kind = \"http\"\npath = \"/health\"\nport = ";
    config.sites = {
        {"site-a", kSiteA, "primary",
         http_check + std::to_string(a.port()) + "\nproxy_protocol = \"v2\"\n"},
        {"site-b", kSiteB, "standby",
         http_check + std::to_string(b.port()) + "\n"},  // no header: NGINX refuses
    };
    const Front front = free_front();
    config.listeners = {{"front", endpoint(front.ip, front.port), a.port(), "v1"}};
    LbWorkspace workspace;
    workspace.write_config(config);
    const auto lb = start_lb(workspace);
    json::Value sites;
    const bool judged = wait_until(
        [&] {
            sites = ops::admin_json(workspace.admin_socket(), "show sites json");
            return sites["sites"][0]["health"].string() == "up" &&
                   sites["sites"][1]["health"].string() == "down";
        },
        deadline_in(5s));
    INFO(ops::admin(workspace.admin_socket(), "show sites") << log_of(*lb));
    CHECK(judged);
    CHECK(sites["sites"][1]["last_check"]["reason"].string().starts_with("http"));
    CHECK(a.error_log().find("broken header") == std::string::npos);
    CHECK(b.error_log().find("broken header") != std::string::npos);
}

}  // namespace
}  // namespace lb::test
