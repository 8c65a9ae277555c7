// Backends, the usual config, the Rig and `lb ctl` for the operator-surface tests; see
// ops_fixture.h.
#include "tests/e2e/ops_fixture.h"
#include "tests/support/lb_binary.h"

#include <unistd.h>

#include <atomic>

namespace lb::test::ops {
namespace {

std::uint64_t fnv1a(std::string_view bytes) {
    Fnv1a hash;
    hash.update(bytes);
    return hash.value();
}

std::string unique_greeting() {
    static std::atomic<unsigned> next{0};
    return "greeting " + std::to_string(::getpid()) + "-" + std::to_string(next.fetch_add(1)) +
           "\n";
}

}  // namespace

// --- Sites -----------------------------------------------------------------------------------

Sites::Sites() : port_(free_port("0.0.0.0")) {
    start("site-a");
    start("site-b");
}

std::optional<BackendServer>& Sites::slot(std::string_view site) {
    return site == "site-a" ? a_ : b_;
}

void Sites::stop(std::string_view site) { slot(site).reset(); }

void Sites::start(std::string_view site) {
    auto& server = slot(site);
    server.reset();
    server.emplace(site == "site-a" ? kSiteA : kSiteB, port_, echo_handler());
}

std::optional<std::string> Sites::site_that_saw(std::string_view greeting) const {
    const std::uint64_t want = fnv1a(greeting);
    for (const auto* site : {&a_, &b_}) {
        if (!site->has_value()) continue;
        for (const ConnectionRecord& r : (*site)->records())
            if (r.received == greeting.size() && r.checksum == want)
                return site == &a_ ? "site-a" : "site-b";
    }
    return std::nullopt;
}

Session open_session(const Front& front, const Sites& sites) {
    Session out;
    out.fd = connect_front(front);
    out.client_port = local_port(out.fd.get());
    const std::string greeting = unique_greeting();
    out.greeting_bytes = greeting.size();
    INFO("session from port " << out.client_port);
    REQUIRE(echo_once(out.fd.get(), greeting));
    // The backend published the record before echoing, so it is there now.
    const auto site = sites.site_that_saw(greeting);
    REQUIRE(site.has_value());
    out.site = *site;
    return out;
}

std::string route_of(const Front& front, const Sites& sites) {
    Session session = open_session(front, sites);
    REQUIRE(shutdown_write(session.fd.get()));
    CHECK(wait_closed(session.fd.get(), deadline_in(5s)) == IoStatus::Eof);
    return session.site;
}

std::string transfer(const Front& front, const Sites& sites, std::size_t size, std::uint64_t seed) {
    const Payload payload = Payload::random(size, seed);
    const std::string bytes = payload.materialize();
    Fd fd = connect_front(front);
    const Duplex result = duplex(fd.get(), payload, /*shutdown_after=*/true, deadline_in(10s));
    INFO("transfer of " << size << " bytes: " << to_string(result.status) << ", sent "
                        << result.sent << ", received " << result.received);
    REQUIRE(result.status == IoStatus::Eof);
    REQUIRE(result.sent == size);
    REQUIRE(result.received == size);
    REQUIRE(result.received_checksum == payload.checksum());
    // The backend saw the last bytes before echoing them, and their EOF before ours.
    std::optional<std::string> site;
    REQUIRE(wait_until([&] { return (site = sites.site_that_saw(bytes)).has_value(); },
                       deadline_in(5s)));
    return *site;
}

// --- config and the lb process ---------------------------------------------------------------

LbConfig ops_config(const Sites& sites, const Front& front) {
    LbConfig config;
    config.workers = 2;
    config.drain_timeout = "30s";
    config.health_timeout = "150ms";
    config.rise = 1;
    config.fall = 2;
    config.failback = "manual";
    config.sites = {{"site-a", kSiteA, "primary"}, {"site-b", kSiteB, "standby"}};
    config.listeners = {{"front", endpoint(front.ip, front.port), sites.port()}};
    return config;
}

ListenerSpec Rig::listener(std::string name, std::uint16_t port) const {
    return {std::move(name), endpoint(kClientIp, port), sites.port()};
}

std::unique_ptr<LbProcess> Rig::start() {
    ws.write_config(config);
    auto lb = start_lb(ws);
    require_sites_up(socket());
    return lb;
}

// --- lb ctl ----------------------------------------------------------------------------------

CtlResult run_ctl(const std::vector<std::string>& args) {
    const TempDir dir("lb-ctl");
    std::vector<std::string> argv{lb_binary(), "ctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    CtlResult out;
    {
        ChildProcess ctl(argv, dir.path() / "out", dir.path() / "err");
        const auto exit = ctl.wait_exit(deadline_in(10s));  // else SIGKILLed when `ctl` goes
        if (exit && exit->exited) out.exit_code = exit->exit_code;
    }
    out.out = read_file(dir.path() / "out");
    out.err = read_file(dir.path() / "err");
    return out;
}

}  // namespace lb::test::ops
