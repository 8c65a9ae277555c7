// `lb import-haproxy` end to end: a haproxy.cfg for two real NGINX gateways (site-a primary,
// site-b its backup server, HTTP checks) is converted, the result passes `lb check`, and `lb run`
// on it sends traffic to site-a and fails over to site-b when site-a's gateway dies. Where
// HAProxy is installed, the same file runs under HAProxy first and both answer the same client
// traffic the same way, up to the documented difference: HAProxy moves back to site-a when it
// returns, lb stays on site-b (manual failback).
#include <fmt/format.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/failover_fixture.h"
#include "tests/e2e/import_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/haproxy_process.h"
#include "tests/support/lb_binary.h"
#include "tests/support/program.h"
#include "tests/support/runtime_api_client.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

// The shape two-site deployments ship: a TCP frontend, a backend with the primary gateway and
// a backup one, HTTP checks in the old `option httpchk` form with an escaped Host header.
std::string haproxy_cfg(const Front& front, std::uint16_t site_port,
                        const std::filesystem::path& stats_socket) {
    return fmt::format(R"(# Two sites, site-b takes over when site-a fails.
global
    maxconn 1000
    nbthread 1
    stats socket {socket} mode 600 level admin

defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 1
    option redispatch

frontend front
    bind {front}
    default_backend sites

backend sites
    option httpchk GET {health} HTTP/1.1\r\nHost:\ gateway
    http-check expect status 200
    default-server inter 200ms rise 2 fall 2
    server site-a {a}:{port} check
    server site-b {b}:{port} check backup
)",
                       fmt::arg("socket", stats_socket.string()),
                       fmt::arg("front", endpoint(front.ip, front.port)),
                       fmt::arg("health", kHealthPath), fmt::arg("a", kSiteA),
                       fmt::arg("b", kSiteB), fmt::arg("port", site_port));
}

TEST_CASE("lb import-haproxy: the output passes lb check, lb run serves site-a and fails over "
          "to site-b",
          "[e2e][import]") {
    TwoSites sites;
    sites.a.start();
    sites.b.start();
    LbWorkspace workspace("lb-import");
    const Front front = free_front();
    const auto cfg = workspace.dir() / "haproxy.cfg";
    write_file(cfg, haproxy_cfg(front, sites.port, workspace.admin_socket()));
    const auto imported = workspace.dir() / "imported.toml";
    const std::string warnings = import_config(cfg, imported);
    // The one behaviour that differs is said, at the backup server's line.
    CHECK(warnings.find(cfg.string() + ":24: warning: server site-b (backup)") !=
          std::string::npos);

    const ProgramResult check =
        run_program({lb_binary(), "check", "-c", imported.string()}, deadline_in(10s));
    INFO("lb check:\n" << check.out << "\nlb.toml:\n" << read_file(imported));
    REQUIRE(check.exit_code == 0);
    CHECK(check.out.find(imported.string() + ": ok") != std::string::npos);
    CHECK(check.out.find("warning") == std::string::npos);

    adopt_for_test(workspace, read_file(imported));
    auto lb = start_lb(workspace);
    require_health(*lb, "site-a", "up");
    require_health(*lb, "site-b", "up");
    (void)require_answers(front, *lb, "site-a", 5);

    sites.a.kill();
    wait_for_site(front, "site-b", "lb", lb->log_text());
    (void)require_failover(*lb, "site-a", "site-b", "");
    (void)require_answers(front, *lb, "site-b", 5);
}

// What the tests comparing HAProxy with lb start from: both gateways up, a front port, and
// haproxy_cfg() written for HAProxy in a directory of its own (its stats socket there too).
// HAProxy runs first (run_haproxy), then lb on the same file imported (start_lb_on_import).
struct ComparisonRig {
    std::string haproxy = HaproxyProcess::binary();
    TwoSites sites;
    Front front = free_front();
    TempDir haproxy_dir{"lb-import-haproxy"};
    std::filesystem::path haproxy_socket = haproxy_dir.path() / "stats.sock";
    LbWorkspace workspace{"lb-import"};

    ComparisonRig() {
        sites.a.start();
        sites.b.start();
        write_file(haproxy_dir.path() / "haproxy.cfg",
                   haproxy_cfg(front, sites.port, haproxy_socket));
    }
    [[nodiscard]] std::string haproxy_log() const {
        return read_file(haproxy_dir.path() / "haproxy.log");
    }
    // HAProxy in the foreground while `drive` runs (once it serves site-a), then SIGTERM.
    void run_haproxy(const std::function<void()>& drive) {
        const auto log = haproxy_dir.path() / "haproxy.log";
        ChildProcess process({haproxy, "-f", (haproxy_dir.path() / "haproxy.cfg").string(), "-db"},
                             log, log);
        wait_for_site(front, "site-a", "HAProxy", haproxy_log());
        drive();
        (void)process.stop(SIGTERM, deadline_in(5s));
    }
    // The same file with lb's admin socket, imported, and lb run on it with both sites up.
    [[nodiscard]] std::unique_ptr<LbProcess> start_lb_on_import() {
        const auto cfg = workspace.dir() / "haproxy.cfg";
        write_file(cfg, haproxy_cfg(front, sites.port, workspace.admin_socket()));
        const auto imported = workspace.dir() / "imported.toml";
        (void)import_config(cfg, imported);
        adopt_for_test(workspace, read_file(imported));
        auto lb = start_lb(workspace);
        require_health(*lb, "site-a", "up");
        require_health(*lb, "site-b", "up");
        return lb;
    }
};

TEST_CASE("lb import-haproxy: HAProxy on the file and lb on its import answer the same traffic "
          "the same way",
          "[e2e][import][haproxy]") {
    if (HaproxyProcess::binary().empty())
        skip_test("haproxy is not installed: nothing to compare the import with");
    ComparisonRig rig;
    const Front& front = rig.front;

    // The traffic: answers with both sites up, after site-a's gateway dies, after it returns.
    struct Seen {
        std::vector<std::string> both_up;
        std::vector<std::string> site_a_dead;
        std::vector<std::string> site_a_back;
    };
    Seen by_haproxy;
    rig.run_haproxy([&] {
        by_haproxy.both_up = replies(front, 5);
        rig.sites.a.kill();
        wait_for_site(front, "site-b", "HAProxy", rig.haproxy_log());
        by_haproxy.site_a_dead = replies(front, 5);
        rig.sites.a.start();
        wait_for_site(front, "site-a", "HAProxy", rig.haproxy_log());  // it fails back itself
        by_haproxy.site_a_back = replies(front, 5);
    });

    Seen by_lb;
    auto lb = rig.start_lb_on_import();
    by_lb.both_up = replies(front, 5);
    rig.sites.a.kill();
    wait_for_site(front, "site-b", "lb", lb->log_text());
    // Clients refused by site-a are retried on site-b at once, before site-a is known down:
    // wait for the failover, as HAProxy's answers above waited for its checks.
    require_failover(*lb, "site-a", "site-b", "health");
    by_lb.site_a_dead = replies(front, 5);
    rig.sites.a.start();
    require_health(*lb, "site-a", "up", 2);
    by_lb.site_a_back = replies(front, 5);

    const std::vector<std::string> a(5, "site-a");
    const std::vector<std::string> b(5, "site-b");
    INFO("lb log:\n" << lb->log_text());
    CHECK(by_haproxy.both_up == a);
    CHECK(by_lb.both_up == by_haproxy.both_up);
    CHECK(by_haproxy.site_a_dead == b);
    CHECK(by_lb.site_a_dead == by_haproxy.site_a_dead);
    // The documented difference (the import warns about it): lb stays on the standby.
    CHECK(by_haproxy.site_a_back == a);
    CHECK(by_lb.site_a_back == b);
}

// What a maintenance script sends to HAProxy's stats socket, naming the backend and its servers.
const std::vector<std::string> kDrainScript = {
    "disable server sites/site-a\n", "get weight sites/site-b\n",
    "disable server front/site-a\n",  // the frontend's name is not the backend's
    "enable server sites/site-a\n"};

// The replies to kDrainScript, one connection per command (as socat does), and who answered
// `count` requests while site-a was disabled.
struct ScriptRun {
    std::vector<std::string> replies;
    std::vector<std::string> while_disabled;
};

ScriptRun run_drain_script(const std::filesystem::path& socket, const Front& front) {
    ScriptRun run;
    for (const std::string& command : kDrainScript) {
        const auto reply = ask_and_close(socket, command, deadline_in(5s));
        run.replies.push_back(reply ? *reply : "(no reply)");
        if (command.starts_with("disable server sites/"))
            wait_for_site(front, "site-b", "after " + command, "");
        if (command.starts_with("get weight")) run.while_disabled = replies(front, 3);
    }
    return run;
}

TEST_CASE("lb import-haproxy: a maintenance script's runtime API commands, naming the backend, "
          "get HAProxy's answers from lb on the import",
          "[e2e][import][haproxy]") {
    if (HaproxyProcess::binary().empty())
        skip_test("haproxy is not installed: nothing to compare the import with");
    ComparisonRig rig;
    ScriptRun by_haproxy;
    rig.run_haproxy([&] { by_haproxy = run_drain_script(rig.haproxy_socket, rig.front); });
    auto lb = rig.start_lb_on_import();
    const ScriptRun by_lb = run_drain_script(rig.workspace.admin_socket(), rig.front);

    INFO("lb.toml:\n" << read_file(rig.workspace.dir() / "imported.toml") << "\nlb log:\n"
                        << lb->log_text());
    for (std::size_t i = 0; i < kDrainScript.size(); ++i) {
        INFO("command: " << kDrainScript[i]);
        CHECK(by_lb.replies[i] == by_haproxy.replies[i]);
    }
    CHECK(by_haproxy.while_disabled == std::vector<std::string>(3, "site-b"));
    CHECK(by_lb.while_disabled == by_haproxy.while_disabled);
}

TEST_CASE("lb import-haproxy: stdout without -o, exit 1 with the reason when nothing converts, "
          "exit 2 on a usage mistake",
          "[e2e][import][one-path]") {
    const auto data = std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy";
    const ProgramResult converted = run_program(
        {lb_binary(), "import-haproxy", (data / "two-sites-httpchk.cfg").string()}, deadline_in(10s));
    INFO(converted.out);
    CHECK(converted.exit_code == 0);
    CHECK(converted.out.find("# Generated by `lb import-haproxy` from " +
                             (data / "two-sites-httpchk.cfg").string()) != std::string::npos);
    CHECK(converted.out.find("[[listeners]]") != std::string::npos);

    const std::string one_server = (data / "one-server.cfg").string();
    const ProgramResult refused =
        run_program({lb_binary(), "import-haproxy", one_server}, deadline_in(10s));
    INFO(refused.out);
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.find(one_server + ": error: cannot convert: ") != std::string::npos);
    CHECK(refused.out.find("[[sites]]") == std::string::npos);

    CHECK(run_program({lb_binary(), "import-haproxy"}, deadline_in(10s)).exit_code == 2);
    CHECK(run_program({lb_binary(), "import-haproxy", one_server, "-o"}, deadline_in(10s))
              .exit_code == 2);
    CHECK(run_program({lb_binary(), "import-haproxy", "/nonexistent/haproxy.cfg"}, deadline_in(10s))
              .exit_code == 1);
}

// The files the unit tests import are configurations HAProxy itself accepts (those that need no
// certificate or environment variable), so the import is tested on HAProxy's language, not on an
// approximation of it.
// The messages of `.notice "branch-N"` lines, in order: from HAProxy's "[NOTICE] ... 'branch-N'."
// lines, or from lb import-haproxy's "warning: HAProxy prints 'branch-N' (.notice)".
std::vector<std::string> branches_taken(const std::string& output) {
    std::vector<std::string> out;
    for (std::size_t at = output.find("'branch-"); at != std::string::npos;
         at = output.find("'branch-", at + 1)) {
        const auto end = output.find('\'', at + 1);
        if (end == std::string::npos) break;
        out.push_back(output.substr(at + 1, end - at - 1));
    }
    return out;
}

TEST_CASE("lb import-haproxy: the preprocessor's blocks keep the lines HAProxy keeps, and what "
          "HAProxy refuses is refused",
          "[e2e][import][haproxy][one-path]") {
    const std::string haproxy = HaproxyProcess::binary();
    if (haproxy.empty()) skip_test("haproxy is not installed: nothing to compare the import with");
    const std::string proxies =
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n"
        "    timeout server 1s\n"
        "frontend web\n    bind 127.0.0.1:1\n    default_backend app\n"
        "backend app\n    server a 127.0.0.2:1\n    server b 127.0.0.3:1 backup\n";
    const std::string conditions =
        ".if defined(SITE_MODE) && streq(\"${SITE_MODE}\",standby)\n.notice \"branch-1\"\n"
        ".elif defined(SITE_MODE)\n.notice \"branch-2\"\n"
        ".else\n.notice \"branch-3\"\n"
        ".if 0\n.notice \"branch-4\"\n.else\n.notice \"branch-5\"\n.endif\n"
        ".endif\n"
        ".if !(1 && 0) || 0\n.notice \"branch-6\"\n.endif\n"
        ".if version_atleast(2.6) && !version_before(2.4) && feature(OPENSSL)\n"
        ".notice \"branch-7\"\n.endif\n"
        // (Debian 12's HAProxy 2.6.12 crashes on a two-part version here: "3.0" is written "3.0.0".)
        ".if feature(QUIC) || openssl_version_before(3.0.0)\n.notice \"branch-8\"\n.endif\n"
        ".if strneq(a,b)\n.notice \"branch-9\"\n.endif\n";
    const TempDir dir("lb-import-if");
    const auto cfg = dir.path() / "haproxy.cfg";
    write_file(cfg, conditions + proxies);
    for (const auto& environment : std::vector<std::vector<std::string>>{
             {}, {"SITE_MODE=standby"}, {"SITE_MODE=primary"}}) {
        const ProgramResult by_haproxy =
            run_program({haproxy, "-c", "-f", cfg.string()}, deadline_in(10s), environment);
        const ProgramResult by_lb = run_program(
            {lb_binary(), "import-haproxy", cfg.string(), "-o", (dir.path() / "lb.toml").string()},
            deadline_in(10s), environment);
        INFO("environment: " << (environment.empty() ? "-" : environment.front()));
        INFO("haproxy -c:\n" << by_haproxy.out << "\nlb import-haproxy:\n" << by_lb.out);
        REQUIRE(by_haproxy.exit_code == 0);
        CHECK(by_lb.exit_code == 0);
        CHECK_FALSE(branches_taken(by_haproxy.out).empty());
        CHECK(branches_taken(by_lb.out) == branches_taken(by_haproxy.out));
    }

    // Files HAProxy refuses: the import refuses them too (exit 1).
    for (const std::string& bad :
         {std::string(".if enabled(POLL)\n.endif\n"), std::string(".if 1\n"),
          std::string(".endif\n"), std::string(".if 1\n.else\n.else\n.endif\n"),
          std::string(".alert \"stop\"\n"), std::string(".if (1\n.endif\n")}) {
        write_file(cfg, bad + proxies);
        const ProgramResult by_haproxy =
            run_program({haproxy, "-c", "-f", cfg.string()}, deadline_in(10s));
        const ProgramResult by_lb =
            run_program({lb_binary(), "import-haproxy", cfg.string()}, deadline_in(10s));
        INFO(bad << "haproxy -c:\n" << by_haproxy.out << "\nlb import-haproxy:\n" << by_lb.out);
        CHECK(by_haproxy.exit_code != 0);
        CHECK(by_lb.exit_code == 1);
    }
}

TEST_CASE("lb import-haproxy: HAProxy accepts the test data files it is tested on",
          "[e2e][import][haproxy][one-path]") {
    const std::string haproxy = HaproxyProcess::binary();
    if (haproxy.empty()) skip_test("haproxy is not installed: cannot check the data files");
    for (const char* name : {"two-sites-httpchk.cfg", "listen-style.cfg", "shared-backend.cfg",
                             "ipv6-binds.cfg", "proxy-protocol.cfg", "one-server.cfg"}) {
        const auto path = std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy" / name;
        const ProgramResult run = run_program({haproxy, "-c", "-f", path.string()},
                                              deadline_in(10s));
        INFO(name << ":\n" << run.out);
        CHECK(run.exit_code == 0);
    }
}

}  // namespace
}  // namespace lb::test
