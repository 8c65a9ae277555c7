// CompatRig: see runtime_api_rig.h.
#include "tests/e2e/runtime_api_rig.h"

#include <cstdlib>
#include <sstream>

#include "tests/support/program.h"
#include "tests/support/runtime_api_client.h"

namespace lb::test::compat {
namespace {

using namespace std::chrono_literals;

HaproxyConfig haproxy_config(const ops::Sites& sites) {
    HaproxyConfig config;
    config.bind = endpoint(kClientIp, free_port(kClientIp));
    config.servers = {{"site-a", kSiteA, sites.port(), false},
                      {"site-b", kSiteB, sites.port(), true}};
    config.rise = CompatRig::kRise;
    config.fall = CompatRig::kFall;
    return config;
}

// What HAProxy's config says, in lb's terms: two workers (nbthread 2), maxconn 1000, TCP checks
// every 200 ms timing out after 100 ms, and failback as HAProxy does it (at once, on its own).
LbConfig lb_config(const ops::Sites& sites) {
    LbConfig config;
    config.workers = 2;
    config.max_connections = 1000;
    config.health_interval = "200ms";
    config.health_timeout = "100ms";
    config.rise = CompatRig::kRise;
    config.fall = CompatRig::kFall;
    config.failback = "auto";
    config.failback_after = "0s";
    config.sites = {{"site-a", kSiteA, "primary"}, {"site-b", kSiteB, "standby"}};
    config.listeners = {{"web", endpoint(kClientIp, free_port(kClientIp)), sites.port()}};
    return config;
}

// Both servers of `web` are UP in the `show stat` of `socket`.
bool servers_up(const std::filesystem::path& socket) {
    const auto reply = ask_and_close(socket, "show stat\n", deadline_in(2s));
    if (!reply) return false;
    int up = 0;
    std::istringstream lines(*reply);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> cells;
        std::istringstream row(line);
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        if (cells.size() > 17 && cells[0] == "web" &&
            (cells[1] == "site-a" || cells[1] == "site-b"))
            up += cells[17] == "UP" ? 1 : 0;
    }
    return up == 2;
}

}  // namespace

bool against_haproxy() {
    const char* against = std::getenv("LB_COMPAT_AGAINST");
    const std::string value = against != nullptr ? against : "";
    if (value == "haproxy") return true;
    if (!value.empty() && value != "lb")
        FAIL("LB_COMPAT_AGAINST is 'lb' (the default) or 'haproxy', not '" << value << "'");
    return false;
}

CompatRig::CompatRig() {
    if (HaproxyProcess::binary().empty())
        skip_test(
            "haproxy not found (apt-get install haproxy, or set LB_HAPROXY): the runtime-API "
            "compatibility tests compare lb with a real HAProxy 2.6 and did not run");
    haproxy_ = std::make_unique<HaproxyProcess>(haproxy_config(sites_));
    if (against_haproxy()) {
        second_haproxy_ = std::make_unique<HaproxyProcess>(haproxy_config(sites_));
    } else {
        lb_ = std::make_unique<LbProcess>(lb_config(sites_));
        const bool ready = lb_->wait_ready(deadline_in(10s));
        INFO(diagnostics());
        REQUIRE(ready);
    }
    const bool ready = haproxy_->wait_ready(deadline_in(10s)) &&
                       (!second_haproxy_ || second_haproxy_->wait_ready(deadline_in(10s)));
    INFO(diagnostics());
    REQUIRE(ready);
    const bool up =
        wait_until([&] { return servers_up(reference().socket) && servers_up(candidate().socket); },
                   deadline_in(10s), 50ms);
    INFO("waiting until both programs report site-a and site-b UP");
    REQUIRE(up);
}

CompatRig::~CompatRig() = default;

Target CompatRig::candidate() const {
    if (second_haproxy_) return {"haproxy-2", second_haproxy_->socket()};
    return {"lb", lb_->workspace().admin_socket()};
}

std::string CompatRig::diagnostics() const {
    std::ostringstream out;
    out << "haproxy config:\n"
        << haproxy_->config_text() << "haproxy log:\n"
        << haproxy_->log_text();
    if (second_haproxy_) out << "second haproxy log:\n" << second_haproxy_->log_text();
    if (lb_) out << "lb config:\n" << lb_->config_text() << "lb log:\n" << lb_->log_text();
    return out.str();
}

}  // namespace lb::test::compat
