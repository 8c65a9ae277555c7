// The import, adoption and client helpers of the import tests; see import_fixture.h.
#include "tests/e2e/import_fixture.h"

#include <cstdlib>

#include "tests/support/lb_binary.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace lb::test {

std::string import_config(const std::filesystem::path& cfg, const std::filesystem::path& out,
                          const std::vector<std::string>& environment) {
    const ProgramResult run =
        run_program({lb_binary(), "import-haproxy", cfg.string(), "-o", out.string()},
                    deadline_in(10s), environment);
    INFO("lb import-haproxy:\n" << run.out);
    INFO("haproxy.cfg:\n" << read_file(cfg));
    REQUIRE(run.exit_code == 0);
    return run.out;
}

void adopt_for_test(LbWorkspace& workspace, const std::string& toml) {
    const std::string global = "[global]\n";
    const auto at = toml.find(global);
    INFO(toml);
    REQUIRE(at != std::string::npos);
    std::string extra = "state_file = " + toml_string(workspace.state_file().string()) + "\n";
    if (const char* more = std::getenv("LB_TEST_EXTRA_GLOBAL"); more != nullptr)
        extra += std::string(more) + "\n";
    std::string patched = toml;
    patched.insert(at + global.size(), extra);
    // Without a stats socket in haproxy.cfg the import leaves lb's default admin socket,
    // /run/lb/admin.sock: the test's own instead, so parallel tests never share one.
    if (patched.find("\n[admin]\n") == std::string::npos)
        patched += "\n[admin]\nsocket = " + toml_string(workspace.admin_socket().string()) + "\n";
    write_file(workspace.config_path(), patched);
}

void wait_for_site(const Front& front, std::string_view site, std::string_view who,
                   const std::function<std::string()>& log) {
    HttpAttempt last;
    const bool switched = wait_until(
        [&] {
            last = http_get(front, 1s);
            return last.outcome == Outcome::Ok && last.site == site;
        },
        deadline_in(10s), 20ms);
    INFO(who << " never answered from " << site << " on " << endpoint(front.ip, front.port)
             << "; last: " << describe(last, last.start));
    INFO("log:\n" << log());
    REQUIRE(switched);
}

std::vector<std::string> replies(const Front& front, int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        const HttpAttempt attempt = http_get(front);
        out.push_back(attempt.outcome == Outcome::Ok ? attempt.site : to_string(attempt.outcome));
    }
    return out;
}

}  // namespace lb::test
