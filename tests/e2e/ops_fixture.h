// Shared setup for the operator-surface end-to-end tests (ops_*_test.cpp): two echo backends
// (site-a 127.0.0.2, site-b 127.0.0.3) on one port that can die and come back, the usual config,
// a Rig around an LbWorkspace (a restart reuses it), `lb ctl`. The clients are in ops_clients.h.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/ops_clients.h"
#include "tests/support/lb_binary.h"
#include "tests/support/lb_process.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test::ops {

using namespace std::chrono_literals;

// --- the sites' backends ---------------------------------------------------------------------

// Echo servers for site-a (127.0.0.2) and site-b (127.0.0.3) on one port, so one target_port
// serves both; either can die (connects refused) and come back on the same port.
class Sites {
public:
    Sites();
    [[nodiscard]] std::uint16_t port() const { return port_; }
    void stop(std::string_view site);   // the site's backend dies: its sessions end, connects fail
    void start(std::string_view site);  // back on the same port
    // The site whose backend has a connection that received exactly `greeting` so far (the echo
    // backend publishes after every read, before echoing), or nullopt.
    [[nodiscard]] std::optional<std::string> site_that_saw(std::string_view greeting) const;

private:
    std::optional<BackendServer>& slot(std::string_view site);
    std::uint16_t port_ = 0;
    std::optional<BackendServer> a_;
    std::optional<BackendServer> b_;
};

// A connection through lb whose site is known from what the backend saw, not from lb's reports.
struct Session {
    Fd fd;
    std::uint16_t client_port = 0;
    std::string site;
    std::size_t greeting_bytes = 0;  // sent (and echoed) so far
};
// Connects to `front`, sends a unique greeting and checks its echo (REQUIRE), and finds the site
// that got it. The connection stays open.
[[nodiscard]] Session open_session(const Front& front, const Sites& sites);
// A whole short connection (greeting, echo, close): the site that served it. REQUIREs success.
[[nodiscard]] std::string route_of(const Front& front, const Sites& sites);
// A connection carrying `size` random bytes (from `seed`) each way: sent, echoed, checked
// (REQUIRE), closed. Returns the site whose backend saw exactly those bytes.
[[nodiscard]] std::string transfer(const Front& front, const Sites& sites, std::size_t size,
                                   std::uint64_t seed);

// --- config and the lb process ---------------------------------------------------------------

// The usual config of these tests: two workers, TCP checks every 200 ms (timeout 150 ms, rise 1,
// fall 2), drain 30 s, failback manual; site-a and site-b on `sites`' port; listener "front".
[[nodiscard]] LbConfig ops_config(const Sites& sites, const Front& front);

// The usual setup: both backends, a front port, a workspace and its config (written by start()).
struct Rig {
    Sites sites;
    Front front = free_front();
    LbWorkspace ws{"lb-ops"};
    LbConfig config = ops_config(sites, front);

    [[nodiscard]] std::filesystem::path socket() const { return ws.admin_socket(); }
    // A listener `name` on 127.0.0.1:`port` in front of the sites.
    [[nodiscard]] ListenerSpec listener(std::string name, std::uint16_t port) const;
    // Writes `config`, starts lb and waits until it is ready and both sites are up.
    [[nodiscard]] std::unique_ptr<LbProcess> start();
};

// --- lb ctl and HTTP -------------------------------------------------------------------------

struct CtlResult {
    int exit_code = -1;  // -1: killed at the deadline or did not exit normally
    std::string out;
    std::string err;
};
// Runs `lb ctl ARGS...` (lb_binary()) with a 10 s deadline.
[[nodiscard]] CtlResult run_ctl(const std::vector<std::string>& args);

}  // namespace lb::test::ops
