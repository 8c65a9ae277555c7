// The realistic haproxy.cfg files of tests/data/haproxy/ that convert, run: each file as
// committed becomes a loopback copy by the textual substitutions listed in its test (each
// required to match, so an edited data file fails here instead of running something else), real
// NGINX gateways satisfy its checks, `lb import-haproxy` converts the copy, `lb check` passes it,
// and `lb run` on it sends every listener's traffic to the primary, then to the standby once the
// primary's gateway dies and its check fails. Where HAProxy is installed, the same copy runs
// under HAProxy first, with the same client traffic and the same kill, and both balancers'
// answers are compared listener by listener (before and after the kill).
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "tests/e2e/failover_fixture.h"
#include "tests/e2e/import_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/haproxy_process.h"
#include "tests/support/lb_binary.h"
#include "tests/support/nginx_server.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

constexpr int kRequests = 3;  // per listener, per phase

// One change from the committed file to its loopback copy, and why it is needed.
struct Substitution {
    std::string from;
    std::string to;
    std::string why;
    int count = 1;  // how many times `from` must occur
};

// The data file `name` with `substitutions` applied in order; each must match exactly `count`
// times (in the text as the substitutions before it left it).
std::string loopback_copy(const std::string& name, const std::vector<Substitution>& substitutions) {
    std::string text = read_file(std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy" / name);
    INFO("tests/data/haproxy/" << name);
    REQUIRE(!text.empty());
    for (const Substitution& s : substitutions) {
        std::vector<std::size_t> hits;
        for (auto pos = text.find(s.from); pos != std::string::npos;
             pos = text.find(s.from, pos + s.from.size()))
            hits.push_back(pos);
        INFO("substitution \"" << s.from << "\" -> \"" << s.to << "\" (" << s.why << ") matched "
                               << hits.size() << " times, expected " << s.count);
        INFO("text so far:\n" << text);
        REQUIRE(hits.size() == static_cast<std::size_t>(s.count));
        for (auto it = hits.rbegin(); it != hits.rend(); ++it)
            text.replace(*it, s.from.size(), s.to);
    }
    return text;
}

// The check interval of every file, down from HAProxy's default 2s (or the file's own `inter`):
// with `fall 3` a dead primary is seen in about 600 ms instead of 6 s. A `default-server` line
// in `defaults` for files without `inter`, which HAProxy and the import both apply to every server.
Substitution fast_checks_after(const std::string& line) {
    return {line + "\n", line + "\n    default-server inter 200ms\n",
            "fast checks: the file has no 'inter', HAProxy's default is 2s"};
}

// One port of a gateway; `proxy_protocol`: every connection must start with a PROXY header.
struct SitePort {
    std::uint16_t port = 0;
    bool proxy_protocol = false;
};

// One site's gateway as a data file's servers expect it: a real NGINX on `address`, on each of
// `ports`, answering "GET /" with the site's name and `check_path` (if any) with 200 on every
// port (files check either a traffic port or a `port` of their own). kill() is the site's death;
// start() again brings it back on the same ports.
class SiteGateway {
public:
    SiteGateway(std::string site, std::string address, std::vector<SitePort> ports,
                std::string check_path = "")
        : site_(std::move(site)),
          address_(std::move(address)),
          ports_(std::move(ports)),
          check_path_(std::move(check_path)) {}

    void start(std::source_location where = std::source_location::current()) {
        nginx_.reset();
        NginxOptions options;
        for (const SitePort& port : ports_) {
            NginxServerBlock block;
            block.address = address_;
            block.port = port.port;
            block.proxy_protocol = port.proxy_protocol;
            block.locations = {NginxLocation{.path = "/", .body = site_ + "\n"}};
            if (!check_path_.empty()) block.locations.push_back(NginxLocation{.path = check_path_});
            options.servers.push_back(block);
        }
        nginx_.emplace(std::move(options), where);
    }
    void kill() {
        if (nginx_) nginx_->kill();
    }
    [[nodiscard]] const std::string& site() const { return site_; }

private:
    std::string site_;
    std::string address_;
    std::vector<SitePort> ports_;
    std::string check_path_;
    std::optional<NginxServer> nginx_;
};

// A listener of the file: where clients connect, and the line it comes from (for messages).
struct FileListener {
    std::string what;
    Front front;
};

struct DataFile {
    std::string name = {};  // in tests/data/haproxy/
    std::vector<Substitution> substitutions = {};
    std::vector<std::string> environment = {};  // "NAME=VALUE" for the import and HAProxy
    std::vector<FileListener> listeners = {};
};

// Who answered each listener's requests (listener by listener), with the primary up and after
// its gateway died, and one raw reply through the first listener with the primary up.
struct Answers {
    std::vector<std::vector<std::string>> primary_up;
    std::vector<std::vector<std::string>> primary_dead;
    std::string raw_reply;
};

struct FileRun {
    std::filesystem::path copy;  // the loopback copy both balancers ran
    std::string import_output;   // what `lb import-haproxy` printed (its warnings)
    Answers lb;
    std::optional<Answers> haproxy;  // nullopt: HAProxy is not installed
    std::string lb_log;
    std::string haproxy_log;
};

// The whole reply to one "GET /" (headers and body) through `front`; "" on failure.
std::string raw_reply(const Front& front) {
    const Deadline deadline = deadline_in(3s);
    const Fd fd = connect_tcp(front.ip, front.port, deadline);
    if (!fd) return "";
    if (send_all(fd.get(), "GET / HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n",
                 deadline) != IoStatus::Ok)
        return "";
    return recv_until_eof(fd.get(), deadline, 64 << 10).data;
}

// The traffic both balancers get: kRequests per listener with the primary up; the primary's
// gateway killed; once `primary_down` says its check failed, kRequests per listener again.
template <typename PrimaryDown>
Answers drive(const DataFile& file, SiteGateway& primary, const SiteGateway& standby,
              std::string_view who, PrimaryDown&& primary_down,
              const std::function<std::string()>& log) {
    Answers out;
    for (const FileListener& listener : file.listeners)
        wait_for_site(listener.front, primary.site(), fmt::format("{} on {}", who, listener.what),
                      log);
    for (const FileListener& listener : file.listeners)
        out.primary_up.push_back(replies(listener.front, kRequests));
    out.raw_reply = raw_reply(file.listeners.front().front);
    primary.kill();
    primary_down();
    for (const FileListener& listener : file.listeners) {
        wait_for_site(listener.front, standby.site(), fmt::format("{} on {}", who, listener.what),
                      log);
        out.primary_dead.push_back(replies(listener.front, kRequests));
    }
    return out;
}

// Runs `file`'s loopback copy (written into `workspace`) under HAProxy if installed, then under
// lb after importing it; the gateways are started here.
FileRun run_data_file(LbWorkspace& workspace, const DataFile& file, SiteGateway& primary,
                      SiteGateway& standby) {
    FileRun run;
    run.copy = workspace.dir() / file.name;
    write_file(run.copy, loopback_copy(file.name, file.substitutions));
    primary.start();
    standby.start();

    if (const std::string haproxy = HaproxyProcess::binary(); !haproxy.empty()) {
        const auto log_path = workspace.dir() / "haproxy.log";
        const auto log = [&] { return read_file(log_path); };
        SpawnOptions options;
        options.environment = file.environment;
        ChildProcess process({haproxy, "-f", run.copy.string(), "-db"}, log_path, log_path,
                             options);
        // HAProxy says so on stderr: "Server BACKEND/SITE is DOWN, reason: ...".
        const auto down = [&] {
            const std::string line = "/" + primary.site() + " is DOWN";
            const bool seen = wait_until([&] { return log().find(line) != std::string::npos; },
                                         deadline_in(10s), 10ms);
            INFO("HAProxy never said \"" << line << "\"; its log:\n" << log());
            REQUIRE(seen);
        };
        run.haproxy = drive(file, primary, standby, "HAProxy", down, log);
        (void)process.stop(SIGTERM, deadline_in(5s));
        run.haproxy_log = log();
        primary.start();  // back for lb
    }

    const auto imported = workspace.dir() / "imported.toml";
    run.import_output = import_config(run.copy, imported, file.environment);
    const ProgramResult check =
        run_program({lb_binary(), "check", "-c", imported.string()}, deadline_in(10s));
    INFO("lb import-haproxy:\n" << run.import_output);
    INFO("lb check:\n" << check.out << "\nlb.toml:\n" << read_file(imported));
    REQUIRE(check.exit_code == 0);
    adopt_for_test(workspace, read_file(imported));
    auto lb = start_lb(workspace);
    require_health(*lb, primary.site(), "up");
    require_health(*lb, standby.site(), "up");
    const auto down = [&] {
        (void)require_failover(*lb, primary.site(), standby.site(), "health");
    };
    run.lb = drive(file, primary, standby, "lb", down, [&] { return lb->log_text(); });
    run.lb_log = lb->log_text();
    return run;
}

// lb served every listener from the primary, then from the standby; HAProxy (if it ran) answered
// the same requests the same way.
void check_answers(const DataFile& file, const FileRun& run, const std::string& primary,
                   const std::string& standby) {
    INFO("loopback copy of " << file.name << ":\n" << read_file(run.copy));
    INFO("lb import-haproxy:\n" << run.import_output);
    INFO("lb log:\n" << run.lb_log);
    INFO("HAProxy log:\n" << run.haproxy_log);
    REQUIRE(run.lb.primary_up.size() == file.listeners.size());
    REQUIRE(run.lb.primary_dead.size() == file.listeners.size());
    const std::vector<std::string> on_primary(kRequests, primary);
    const std::vector<std::string> on_standby(kRequests, standby);
    for (std::size_t i = 0; i < file.listeners.size(); ++i) {
        INFO("listener " << file.listeners[i].what << " on "
                         << endpoint(file.listeners[i].front.ip, file.listeners[i].front.port));
        CHECK(run.lb.primary_up[i] == on_primary);
        CHECK(run.lb.primary_dead[i] == on_standby);
        if (!run.haproxy) continue;
        CHECK(run.haproxy->primary_up[i] == run.lb.primary_up[i]);
        CHECK(run.haproxy->primary_dead[i] == run.lb.primary_dead[i]);
    }
}

// A reply without its Date header (the one part of two replies of the same gateway that differs).
std::string without_date(const std::string& reply) {
    const auto at = reply.find("\r\nDate: ");
    if (at == std::string::npos) return reply;
    const auto end = reply.find("\r\n", at + 2);
    return reply.substr(0, at) + (end == std::string::npos ? "" : reply.substr(end));
}

// In mode tcp, both balancers pass the gateway's reply on byte for byte.
void check_same_bytes(const FileRun& run) {
    if (!run.haproxy) return;
    CHECK(run.lb.raw_reply.starts_with("HTTP/1.1 200 "));
    CHECK(without_date(run.lb.raw_reply) == without_date(run.haproxy->raw_reply));
}

TEST_CASE(
    "lb import-haproxy runs two-sites-httpchk.cfg: site-a, then site-b when site-a's "
    "check fails, as HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    const std::uint16_t site_port = free_port_everywhere();
    const std::uint16_t check_port = free_port_everywhere();
    const Front front = free_front();
    SiteGateway a("site-a", kSiteA, {{site_port}, {check_port}}, "/health");
    SiteGateway b("site-b", kSiteB, {{site_port}, {check_port}}, "/health");
    const DataFile file{
        .name = "two-sites-httpchk.cfg",
        .substitutions =
            {{"    log /dev/log local0", "    #log /dev/log local0",
              "the test writes nothing to the host's syslog (lb ignores it too)"},
             {"    user haproxy", "    #user haproxy",
              "HAProxy would switch to a system user the test may not be able to become"},
             {"    group haproxy", "    #group haproxy", "the same, for the group"},
             // `daemon` stays: -db keeps HAProxy in the foreground; lb ignores it.
             {"/run/haproxy/admin.sock", workspace.admin_socket().string(),
              "a socket in the test's directory"},
             {"*:443", endpoint(kClientIp, front.port), "loopback, a free port"},
             {"inter 1s", "inter 200ms", "fast checks"},
             {"10.0.1.10:443", endpoint(kSiteA, site_port), "site-a's gateway on loopback"},
             {"10.0.2.10:443", endpoint(kSiteB, site_port), "site-b's gateway on loopback"},
             {"check port 8080", fmt::format("check port {}", check_port),
              "the gateways' check port, free", 2}},
        .listeners = {{"frontend https (bind *:443)", front}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    check_answers(file, run, "site-a", "site-b");
    check_same_bytes(run);
}

TEST_CASE(
    "lb import-haproxy runs listen-style.cfg: dc1, then dc2 when dc1's check fails, as "
    "HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    const std::uint16_t site_port = free_port_everywhere();
    const Front front = free_front();
    SiteGateway dc1("dc1", kSiteA, {{site_port}}, "/ready");
    SiteGateway dc2("dc2", kSiteB, {{site_port}}, "/ready");
    const DataFile file{
        .name = "listen-style.cfg",
        .substitutions =
            {{"/var/run/haproxy.sock", workspace.admin_socket().string(),
              "a socket in the test's directory"},
             {"0.0.0.0:8443", endpoint(kClientIp, front.port), "loopback, a free port"},
             {"192.168.10.5:8443", endpoint(kSiteA, site_port), "dc1's gateway on loopback"},
             {"192.168.20.5:8443", endpoint(kSiteB, site_port), "dc2's gateway on loopback"},
             {"check inter 3s", "check inter 200ms", "fast checks", 2}},
        .listeners = {{"listen app (bind 0.0.0.0:8443)", front}}};
    const FileRun run = run_data_file(workspace, file, dc1, dc2);
    check_answers(file, run, "dc1", "dc2");
    check_same_bytes(run);
}

TEST_CASE(
    "lb import-haproxy runs shared-backend.cfg: three frontends on two backends, each on "
    "site-a, then on site-b when site-a's checks fail, as HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    const std::uint16_t web_port = free_port_everywhere();  // port 80 of both gateways
    const std::uint16_t tls_a = free_port_everywhere();     // site-a's 8443
    const std::uint16_t tls_b = free_port_everywhere();     // site-b's 9443
    const Front web = free_front();
    const Front web_alt = free_front();
    const Front tls = free_front();
    SiteGateway a("site-a", kSiteA, {{web_port}, {tls_a}});
    SiteGateway b("site-b", kSiteB, {{web_port}, {tls_b}});
    const DataFile file{
        .name = "shared-backend.cfg",
        .substitutions =
            {{"/run/haproxy/admin.sock", workspace.admin_socket().string(),
              "a socket in the test's directory"},
             fast_checks_after("    option redispatch"),
             {"bind :80\n", "bind " + endpoint(kClientIp, web.port) + "\n",
              "loopback, a free port"},
             {"bind :8080\n", "bind " + endpoint(kClientIp, web_alt.port) + "\n",
              "loopback, a free port"},
             {"bind :443\n", "bind " + endpoint(kClientIp, tls.port) + "\n",
              "loopback, a free port"},
             {"10.1.0.10:80 ", endpoint(kSiteA, web_port) + " ", "site-a's gateway on loopback"},
             {"10.2.0.10:80 ", endpoint(kSiteB, web_port) + " ", "site-b's gateway on loopback"},
             {"10.1.0.10:8443", endpoint(kSiteA, tls_a), "site-a's gateway on loopback"},
             {"10.2.0.10:9443", endpoint(kSiteB, tls_b), "site-b's gateway on loopback"}},
        .listeners = {{"frontend web (bind :80)", web},
                      {"frontend web-alt (bind :8080)", web_alt},
                      {"frontend tls (bind :443)", tls}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    check_answers(file, run, "site-a", "site-b");
    check_same_bytes(run);
}

TEST_CASE(
    "lb import-haproxy runs ipv6-binds.cfg: every bind (IPv6 and IPv4) on site-a, then on "
    "site-b when site-a's check fails, as HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    // The servers have no port: each connection goes to its bind's port, so the gateways listen
    // on all four (free on every IPv4 and IPv6 address), plus the checks' port.
    const std::uint16_t p443 = free_port("::");
    const std::uint16_t p8443 = free_port("::");
    const std::uint16_t p9443 = free_port("::");
    const std::uint16_t p9444 = free_port("::");
    const std::uint16_t check_port = free_port("::");
    const std::vector<SitePort> ports = {{p443}, {p8443}, {p9443}, {p9444}, {check_port}};
    SiteGateway a("site-a", kSiteA, ports);
    SiteGateway b("site-b", kSiteB, ports);
    const DataFile file{
        .name = "ipv6-binds.cfg",
        .substitutions =
            {fast_checks_after("    mode tcp"),
             {"bind [::]:443", fmt::format("bind [::1]:{}", p443), "IPv6 loopback, a free port"},
             {"bind ipv6@fd00::100:8443", fmt::format("bind ipv6@::1:{}", p8443),
              "IPv6 loopback (same bare form, the last colon before the port), a free port"},
             {"10.0.0.100:9443,", endpoint(kClientIp, p9443) + ",", "loopback, a free port"},
             {",*:9444", "," + endpoint(kClientIp, p9444), "loopback, a free port"},
             {"[fd00:1::10] check port 443", fmt::format("{} check port {}", kSiteA, check_port),
              "site-a's gateway on loopback (IPv4: ::1 is the only IPv6 loopback address and "
              "both sites use the same ports), the checks' port free"},
             {"[fd00:2::10] check port 443", fmt::format("{} check port {}", kSiteB, check_port),
              "site-b's gateway on loopback, likewise"}},
        .listeners = {{"bind [::]:443", Front{"::1", p443}},
                      {"bind ipv6@fd00::100:8443", Front{"::1", p8443}},
                      {"bind 10.0.0.100:9443", Front{kClientIp, p9443}},
                      {"bind *:9444", Front{kClientIp, p9444}}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    check_answers(file, run, "site-a", "site-b");
    check_same_bytes(run);
}

TEST_CASE(
    "lb import-haproxy runs proxy-protocol.cfg: PROXY v1 and v2 to gateways that require "
    "it, site-a then site-b when site-a's checks fail, as HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    const std::uint16_t v1_port = free_port_everywhere();  // 443 of both gateways
    const std::uint16_t v2_port = free_port_everywhere();  // 8443 of both gateways
    const Front v1 = free_front();
    const Front v2 = free_front();
    // `listen ... proxy_protocol`: NGINX refuses a connection that does not start with a PROXY
    // header (v1 or v2), so every answer proves the header was sent.
    const std::vector<SitePort> ports = {{v1_port, true}, {v2_port, true}};
    SiteGateway a("site-a", kSiteA, ports);
    SiteGateway b("site-b", kSiteB, ports);
    const DataFile file{
        .name = "proxy-protocol.cfg",
        .substitutions =
            {{"/run/haproxy/admin.sock", workspace.admin_socket().string(),
              "a socket in the test's directory"},
             fast_checks_after("    mode tcp"),
             {"bind :443\n", "bind " + endpoint(kClientIp, v1.port) + "\n",
              "loopback, a free port"},
             {"bind :8443\n", "bind " + endpoint(kClientIp, v2.port) + "\n",
              "loopback, a free port"},
             {"10.0.1.10:443 ", endpoint(kSiteA, v1_port) + " ", "site-a's gateway on loopback"},
             {"10.0.2.10:443 ", endpoint(kSiteB, v1_port) + " ", "site-b's gateway on loopback"},
             {"10.0.1.10:8443\n", endpoint(kSiteA, v2_port) + "\n", "site-a's gateway on loopback"},
             {"10.0.2.10:8443 ", endpoint(kSiteB, v2_port) + " ", "site-b's gateway on loopback"}},
        .listeners = {{"frontend v1 (send-proxy)", v1}, {"frontend v2 (send-proxy-v2)", v2}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    check_answers(file, run, "site-a", "site-b");
    check_same_bytes(run);
}

// HAProxy runs this file in HTTP mode: it would terminate TLS (`ssl crt`) and it rewrites the
// requests and replies (X-Forwarded-For, X-Forwarded-Proto, a SERVERID cookie). lb forwards the
// bytes as they are and warns so (mode http, ssl, forwardfor, cookie, ...). What both share and
// what is compared: which site answers each request, before and after the primary dies. TLS is
// dropped from the bind (there is no certificate, and lb would pass the TLS bytes to a gateway
// that speaks plain HTTP); the cookie shows the documented difference.
TEST_CASE(
    "lb import-haproxy runs http-mode.cfg with a warning: site-a, then site-b when "
    "site-a's check fails, as HAProxy does (not HAProxy's HTTP processing)",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    const std::uint16_t site_port = free_port_everywhere();
    const Front front = free_front();
    SiteGateway a("site-a", kSiteA, {{site_port}}, "/healthz");
    SiteGateway b("site-b", kSiteB, {{site_port}}, "/healthz");
    const DataFile file{
        .name = "http-mode.cfg",
        .substitutions =
            {{"    maxconn 10000", "    maxconn 1000",
              "HAProxy needs 2 x maxconn + 21 file descriptors and refuses to start when the "
              "hard limit is lower (containers often set 20000)"},
             fast_checks_after("    timeout server 50s"),
             {"*:443", endpoint(kClientIp, front.port), "loopback, a free port"},
             {" ssl crt /etc/haproxy/certs/site.pem", "",
              "no certificate in the test; lb does not terminate TLS (it would pass the TLS "
              "bytes to a plain-HTTP gateway), so only plain HTTP is comparable"},
             {"10.0.1.10:8080", endpoint(kSiteA, site_port), "site-a's gateway on loopback"},
             {"10.0.2.10:8080", endpoint(kSiteB, site_port), "site-b's gateway on loopback"},
             {"10.0.1.20:9000", endpoint("127.0.0.4", free_port("127.0.0.4")),
              "loopback; nothing listens there: backend api gets no request in this test (it "
              "serves /api) and lb does not convert it"},
             {"127.0.0.1:8404", endpoint(kClientIp, free_port()),
              "a free port for HAProxy's stats page (lb's status page)"}},
        .listeners = {{"frontend www (bind *:443 ssl)", front}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    // Line 9 of the copy is still line 9 of the file (the substitutions above keep line numbers
    // up to there).
    CHECK(run.import_output.find(run.copy.string() + ":9: warning: frontend www is in mode http") !=
          std::string::npos);
    check_answers(file, run, "site-a", "site-b");
    if (run.haproxy) {
        // The documented difference: HAProxy's HTTP processing inserts its persistence cookie,
        // lb passes the gateway's reply as it is.
        INFO("HAProxy's reply:\n"
             << run.haproxy->raw_reply << "\nlb's reply:\n"
             << run.lb.raw_reply);
        std::string haproxy_reply = run.haproxy->raw_reply;  // HAProxy writes header names in
        std::transform(haproxy_reply.begin(), haproxy_reply.end(),  // lower case: compare so
                       haproxy_reply.begin(), [](unsigned char c) { return std::tolower(c); });
        CHECK(haproxy_reply.find("\r\nset-cookie: serverid=a") != std::string::npos);
        CHECK(run.lb.raw_reply.starts_with("HTTP/1.1 200 "));
        CHECK(run.lb.raw_reply.find("SERVERID") == std::string::npos);
    }
}

TEST_CASE(
    "lb import-haproxy runs env-vars.cfg with the addresses from the environment: site-a, "
    "then site-b when site-a's check fails, as HAProxy does",
    "[e2e][import][haproxy]") {
    LbWorkspace workspace("lb-import-file");
    // The file fixes the servers' port (443): each gateway gets a loopback address of its own on
    // which 443 is free.
    const std::string site_a = free_loopback_address(443);
    const std::string site_b = free_loopback_address(443);
    INFO("port 443 free on no 127.0.X.Y address (binding it needs root)");
    REQUIRE(!site_a.empty());
    REQUIRE(!site_b.empty());
    const Front front = free_front();
    SiteGateway a("site-a", site_a, {{443}});
    SiteGateway b("site-b", site_b, {{443}});
    const DataFile file{
        .name = "env-vars.cfg",
        // The addresses come from the environment, as in production; CONNECT_TIMEOUT is left
        // unset (its default, 4s, applies).
        .substitutions = {fast_checks_after("    mode tcp")},
        .environment = {"FRONT_ADDR=" + std::string(kClientIp),
                        fmt::format("FRONT_PORT={}", front.port), "SITE_A=" + site_a,
                        "SITE_B=" + site_b},
        .listeners = {{"frontend web (bind \"${FRONT_ADDR}:${FRONT_PORT-8443}\")", front}}};
    const FileRun run = run_data_file(workspace, file, a, b);
    check_answers(file, run, "site-a", "site-b");
    check_same_bytes(run);
}

}  // namespace
}  // namespace lb::test
