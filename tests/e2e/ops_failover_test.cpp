// End-to-end tests of a health-caused failover as an operator sees it: the log line's level in
// both log formats, and the sessions already open on the old site, which run on untouched to
// their own end. Site-a's checks go to a port of their own, so its checks can fail while its
// data port keeps serving.
#include "tests/e2e/ops_fixture.h"
#include "tests/support/json_reader.h"

namespace lb::test::ops {
namespace {

// The fields of a connection line (tcplog or JSON) the test needs.
struct ConnectionLine {
    std::string site;
    std::string term;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t bytes_to_site = 0;
};

std::optional<ConnectionLine> connection_line(std::string_view line, std::uint16_t client_port) {
    if (const auto tcplog = parse_tcplog(line)) {
        if (tcplog->client_port != client_port) return std::nullopt;
        return ConnectionLine{tcplog->site, tcplog->term, tcplog->bytes_to_client,
                              tcplog->bytes_to_site};
    }
    if (!line.starts_with("{")) return std::nullopt;
    const json::ParseResult parsed = json::parse(line);
    if (!parsed.value || (*parsed.value)["event"].string() != "connection") return std::nullopt;
    const json::Value& v = *parsed.value;
    if (!v["client"].string().ends_with(":" + std::to_string(client_port))) return std::nullopt;
    return ConnectionLine{v["site"].string(), v["termination"].string(), u64(v["bytes_to_client"]),
                          u64(v["bytes_to_site"])};
}

TEST_CASE("a health failover is logged as a warning, sessions on the old site run to their end",
          "[e2e][ops][failover]") {
    const std::string format = GENERATE(as<std::string>{}, "tcplog", "json");
    INFO("log_format = " << format);
    Rig rig;
    std::optional<BackendServer> checks_of_a;  // what site-a's health checks connect to
    checks_of_a.emplace(kSiteA, free_port(kSiteA), echo_handler());
    rig.config.log_format = format;
    rig.config.sites.at(0).health_toml = "port = " + std::to_string(checks_of_a->port());
    auto lb = rig.start();
    const auto sock = rig.socket();

    Session on_a = open_session(rig.front, rig.sites);
    REQUIRE(on_a.site == "site-a");

    checks_of_a.reset();  // site-a fails its checks; its data port keeps serving
    require_active(sock, "site-b");
    const auto failover = lb->wait_for_log(
        [](std::string_view line) {
            return message_starts_with(line, "failover: site-a -> site-b (reason health");
        },
        deadline_in(5s));
    INFO("lb log:\n" << lb->log_text());
    REQUIRE(failover);
    CHECK(log_level(*failover) == "warning");
    CHECK(route_of(rig.front, rig.sites) == "site-b");

    // The session on site-a carries a MiB each way after the failover, then ends normally.
    const Payload more = Payload::random(kMiB, 77);
    const Duplex got = duplex(on_a.fd.get(), more, /*shutdown_after=*/true, deadline_in(10s));
    CHECK(got.status == IoStatus::Eof);
    CHECK(got.received == more.size());
    CHECK(got.received_checksum == more.checksum());
    on_a.fd.reset();

    std::optional<ConnectionLine> logged;
    (void)lb->wait_for_log(
        [&](std::string_view line) {
            logged = connection_line(line, on_a.client_port);
            return logged.has_value();
        },
        deadline_in(5s));
    REQUIRE(logged);
    CHECK(logged->site == "site-a");
    CHECK(logged->term == "--");
    CHECK(logged->bytes_to_site == on_a.greeting_bytes + more.size());
    CHECK(logged->bytes_to_client == on_a.greeting_bytes + more.size());
}

}  // namespace
}  // namespace lb::test::ops
