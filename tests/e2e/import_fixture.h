// Shared by the `lb import-haproxy` end-to-end tests (import_haproxy_test.cpp on a hand-written
// haproxy.cfg, import_data_files_test.cpp on the files of tests/data/haproxy/): the import, the
// imported file adopted by a test's workspace, and the clients that compare lb with HAProxy.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/failover_fixture.h"

namespace lb::test {

// `lb import-haproxy CFG -o OUT`, required to succeed; returns what it printed (warnings).
// `environment`: "NAME=VALUE" entries for the variables the file expands ("${NAME}").
std::string import_config(const std::filesystem::path& cfg, const std::filesystem::path& out,
                          const std::vector<std::string>& environment = {});

// The imported file with the test's own state file and admin socket (and LB_TEST_EXTRA_GLOBAL, so
// the suite's data-path variants apply), written as the workspace's lb.toml.
void adopt_for_test(LbWorkspace& workspace, const std::string& toml);

// Waits until a request through `front` is answered by `site`; the answers seen meanwhile are
// not kept (the moment of a switch differs between balancers).
// `log` gives the balancer's log for the failure message (read when the wait fails).
void wait_for_site(const Front& front, std::string_view site, std::string_view who,
                   const std::function<std::string()>& log);
inline void wait_for_site(const Front& front, std::string_view site, std::string_view who,
                          const std::string& log) {
    wait_for_site(front, site, who, [&log] { return log; });
}

// `count` requests, one after the other: who answered each ("site-a", or the outcome).
[[nodiscard]] std::vector<std::string> replies(const Front& front, int count);

}  // namespace lb::test
