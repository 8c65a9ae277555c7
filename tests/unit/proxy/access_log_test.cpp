// The connection log line: HAProxy-tcplog-like fields and the JSON variant.
#include "lb/proxy/access_log.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace {

using lb::ConnectionRecord;
using lb::Termination;

ConnectionRecord sample() {
    ConnectionRecord r;
    r.client = lb::SocketAddress::parse_endpoint("127.0.0.1:53422");
    // 2026-11-25T08:01:23.123Z
    r.accepted = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795593683123));
    r.listener = "https";
    r.site = "site-a";
    r.connect_ms = 2;
    r.total_ms = 5003;
    r.bytes_to_client = 1234;
    r.bytes_to_site = 5678;
    r.active_connections = 1;
    return r;
}

}  // namespace

TEST_CASE("tcplog line has every field in HAProxy's order", "[unit][access_log]") {
    CHECK(lb::format_tcplog(sample()) ==
          "127.0.0.1:53422 [25/Nov/2026:08:01:23.123] https site-a 2/5003 1234/5678 -- 1 0");
}

TEST_CASE("tcplog line for a refused connect and an IPv6 client", "[unit][access_log]") {
    ConnectionRecord r = sample();
    r.client = lb::SocketAddress::parse_endpoint("[::1]:4000");
    r.connect_ms.reset();
    r.termination = Termination{Termination::Cause::ConnectRefused, Termination::Phase::Connect, 0};
    r.retries = 1;
    CHECK(lb::format_tcplog(r) ==
          "[::1]:4000 [25/Nov/2026:08:01:23.123] https site-a -1/5003 1234/5678 SC 1 1");
}

TEST_CASE("json log line carries the same fields", "[unit][access_log]") {
    const std::string line = lb::format_json_log(sample());
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
    for (const char* part :
         {R"("event":"connection")", R"("time":"2026-11-25T08:01:23.123Z")",
          R"("client":"127.0.0.1:53422")", R"("listener":"https")", R"("site":"site-a")",
          R"("connect_ms":2)", R"("total_ms":5003)", R"("bytes_to_client":1234)",
          R"("bytes_to_site":5678)", R"("termination":"--")"}) {
        INFO(part);
        CHECK(line.find(part) != std::string::npos);
    }
    CHECK(lb::format_connection(lb::config::LogFormat::None, sample()).empty());
}

TEST_CASE("termination codes and metric reasons", "[unit][access_log]") {
    using C = Termination::Cause;
    using P = Termination::Phase;
    struct Row {
        Termination t;
        const char* code;
        const char* reason;
    };
    const Row rows[] = {
        {{C::Normal, P::Data, 0}, "--", ""},
        {{C::ConnectRefused, P::Connect, 0}, "SC", "connect_refused"},
        {{C::ConnectTimeout, P::Connect, 0}, "sC", "connect_timeout"},
        {{C::IdleTimeout, P::Data, 0}, "cD", ""},
        {{C::ClientReset, P::Data, 0}, "CD", "reset"},
        {{C::SiteReset, P::Data, 0}, "SD", "reset"},
        {{C::Limit, P::Connect, 0}, "PR", "limit"},
        {{C::Shutdown, P::Data, 0}, "KD", ""},
        {{C::ConnectError, P::Connect, 0}, "SC", "connect_refused"},
        {{C::LocalResource, P::Connect, 0}, "PC", "limit"},
    };
    for (const Row& row : rows) {
        INFO(row.code);
        CHECK(lb::tcplog_code(row.t) == row.code);
        const auto reason = lb::connection_error(row.t);
        CHECK((reason ? lb::metrics::to_string(*reason) : std::string_view()) == row.reason);
    }
}
