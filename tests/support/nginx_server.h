// A real NGINX (the gateway the balancer fronts in production) started by a test: its own temp
// prefix (config, pid, logs, temp dirs), loopback listeners, fixed replies per location, optional
// TLS. Killed and cleaned up by the destructor; dies with the test process (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

namespace lb::test {

struct NginxLocation {
    std::string path = "/";
    bool exact = true;  // "location = /path" rather than a prefix match
    int status = 200;
    std::string body = "ok\n";  // no '$' (NGINX would read a variable)
};

struct NginxServerBlock {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: a free port picked at start
    // Both set: the listener speaks TLS with this certificate chain and key (PEM files).
    std::string cert_file{};
    std::string key_file{};
    // Empty: "/" answers 200 "ok\n". Anything not matched answers 404.
    std::vector<NginxLocation> locations{};
    std::string extra{};  // raw directives inside server { }
    // `listen ... proxy_protocol`: every connection must start with a PROXY v1 or v2 header,
    // whose addresses are $proxy_protocol_addr, $proxy_protocol_port, ...
    bool proxy_protocol = false;
};

struct NginxOptions {
    std::vector<NginxServerBlock> servers{};
    std::string extra_http{};  // raw directives inside http { }
};

class NginxServer {
public:
    // Starts NGINX and waits until every listener accepts connections. Fails the running test
    // (REQUIRE) with a clear message when nginx is missing, and with NGINX's own error log when
    // it does not come up.
    explicit NginxServer(NginxOptions options,
                         std::source_location where = std::source_location::current());
    ~NginxServer();  // stop(), then the prefix directory is removed
    NginxServer(const NginxServer&) = delete;
    NginxServer& operator=(const NginxServer&) = delete;

    [[nodiscard]] std::uint16_t port(std::size_t server = 0) const { return ports_.at(server); }
    [[nodiscard]] const std::string& prefix() const { return prefix_; }
    [[nodiscard]] std::string error_log() const;
    [[nodiscard]] bool running() const { return pid_ > 0; }
    // SIGTERM, then SIGKILL after 5 s; idempotent. Listeners refuse connections afterwards.
    void stop();
    // SIGKILL at once and reap, as when a gateway crashes: the kernel closes its sockets, so
    // connections it held end mid-reply (FIN or RST) and new connects are refused. Idempotent.
    // The ports stay as they were: a new NginxServer with the same ports brings the site back.
    void kill();

    // $LB_NGINX, else /usr/sbin/nginx, else `nginx` on PATH; empty when none is found.
    [[nodiscard]] static std::string binary();

private:
    [[nodiscard]] std::string render_config() const;
    [[nodiscard]] bool launch_and_wait(std::string& why);

    NginxOptions options_;
    std::string prefix_;
    std::vector<std::uint16_t> ports_;
    pid_t pid_ = -1;
};

}  // namespace lb::test
