// Shared setup for the operator-surface end-to-end tests (ops_*_test.cpp): a real `lb run` on a
// config the test writes (admin socket, metrics, log format, timeouts, listeners), restartable on
// the same directory and state file; two echo backends (site-a 127.0.0.2, site-b 127.0.0.3) on
// one port that can die and come back; an admin-socket client, `lb ctl`, an HTTP GET for the
// metrics endpoint, and parsers for the admin replies (JSON, show stat CSV, tables).
#pragma once

#include <sys/types.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/support/exposition_reader.h"
#include "tests/support/json_reader.h"
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

struct ListenerConf {
    std::string name;
    std::uint16_t port = 0;  // bind 127.0.0.1:port; target_port = the sites' port
};

// Every key DESIGN.md names that these tests set; rendered in full, nothing implicit.
struct OpsConfig {
    int workers = 2;
    int max_connections = 1000;
    std::string log_format = "tcplog";
    std::filesystem::path state_file;
    std::filesystem::path admin_socket;
    std::string admin_mode;           // empty: the default
    std::uint16_t metrics_port = 0;   // 0: metrics off (listen = "")
    std::string connect_timeout = "1s";
    std::string idle_timeout = "30s";
    std::string drain_timeout = "30s";
    std::string health_interval = "200ms";
    std::string health_timeout = "150ms";
    std::optional<std::uint16_t> health_port;  // unset: the listener's target port
    int rise = 1;
    int fall = 2;
    std::uint16_t site_port = 0;
    std::vector<ListenerConf> listeners;
    std::string extra_toml;  // appended last (e.g. an invalid key)

    [[nodiscard]] std::string render() const;
};

// Exit status of a process that ended.
struct Exit {
    bool exited = false;  // WIFEXITED
    int code = -1;
    int signal = 0;
    long long took_ms = 0;  // from the stop request (or the wait) to the exit
};

// One `lb run -c CONFIG` process, output to `log`. RAII: SIGKILLed and reaped if still running.
// The child dies with the test process (PR_SET_PDEATHSIG).
class LbDaemon {
public:
    LbDaemon(const std::filesystem::path& config, std::filesystem::path log);
    ~LbDaemon();
    LbDaemon(const LbDaemon&) = delete;
    LbDaemon& operator=(const LbDaemon&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();  // reaps the process once it has exited
    void signal(int sig) const;
    // Waits for the "ready: " message (text or JSON log); false if the deadline passes or the
    // process exits first.
    [[nodiscard]] bool wait_ready(Deadline deadline);
    // Waits for the process to exit by itself; nullopt at the deadline (it keeps running).
    [[nodiscard]] std::optional<Exit> wait_exit(Deadline deadline);
    // Sends `sig`, waits for the exit; SIGKILL at the deadline (then `exited` is false).
    Exit stop(int sig, Deadline deadline);

    [[nodiscard]] std::string log_text() const;
    [[nodiscard]] std::vector<std::string> log_lines() const;  // complete lines only
    [[nodiscard]] std::optional<std::string> wait_for_log(
        const std::function<bool(std::string_view)>& pred, Deadline deadline) const;
    [[nodiscard]] std::size_t count_log(const std::function<bool(std::string_view)>& pred) const;

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::optional<int> wait_status_;
};

// The message of a log line: after "TIMESTAMP LEVEL " in text mode, the "message" field of a
// JSON line; empty for lines without one (connection lines).
[[nodiscard]] std::string log_message(std::string_view line);
[[nodiscard]] bool message_starts_with(std::string_view line, std::string_view prefix);

// A test's directory: lb.toml, state file, admin socket, one log per started process. The
// config written last is what a started or reloading lb reads.
class Workspace {
public:
    Workspace();
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir() / "lb.toml"; }
    [[nodiscard]] std::filesystem::path admin_socket() const { return dir() / "admin.sock"; }
    [[nodiscard]] std::filesystem::path state_file() const { return dir() / "state.json"; }

    // A config with this workspace's paths, `sites`' port and one listener "front".
    [[nodiscard]] OpsConfig config(const Sites& sites, const Front& front) const;
    // Replaces lb.toml atomically (a new file renamed over it): a reload never reads half.
    void write(const OpsConfig& config) const;
    void write_text(const std::string& text) const;
    // Starts `lb run -c lb.toml` (log lb-N.log) and waits until ready; REQUIREs it.
    [[nodiscard]] std::unique_ptr<LbDaemon> start();
    // Starts without waiting (for a start that must fail).
    [[nodiscard]] std::unique_ptr<LbDaemon> launch();

private:
    TempDir dir_{"lb-ops"};
    int launched_ = 0;
};

// The usual setup: both backends, a front port, a workspace and its config (written by start()).
struct Rig {
    Sites sites;
    Front front = free_front();
    Workspace ws;
    OpsConfig config = ws.config(sites, front);

    [[nodiscard]] std::filesystem::path socket() const { return ws.admin_socket(); }
    // Writes `config`, starts lb and waits until it is ready and both sites are up.
    [[nodiscard]] std::unique_ptr<LbDaemon> start();
};

// --- the admin socket ------------------------------------------------------------------------

// A client of the admin socket: raw bytes out, framed replies in (a reply is its lines followed
// by an empty line; a reply never contains an empty line).
class AdminClient {
public:
    explicit AdminClient(const std::filesystem::path& socket);
    [[nodiscard]] bool connected() const { return fd_.valid(); }
    [[nodiscard]] int connect_error() const { return error_; }
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] IoStatus send(std::string_view bytes, Deadline deadline = deadline_in(5s));
    // The next reply's body, with its lines' "\n" but without the terminating empty line;
    // nullopt when the deadline passes or the connection ends first (`last_status` says which).
    [[nodiscard]] std::optional<std::string> read_reply(Deadline deadline = deadline_in(10s));
    [[nodiscard]] std::optional<std::string> command(std::string_view line,
                                                     Deadline deadline = deadline_in(10s));
    [[nodiscard]] IoStatus last_status() const { return last_status_; }
    void close() { fd_.reset(); }

private:
    Fd fd_;
    int error_ = 0;
    std::string buffer_;
    IoStatus last_status_ = IoStatus::Ok;
};

// One command on a new connection; REQUIREs a reply.
[[nodiscard]] std::string admin(const std::filesystem::path& socket, std::string_view line);
// One command whose reply must be one JSON document; REQUIREs that it parses.
[[nodiscard]] json::Value admin_json(const std::filesystem::path& socket, std::string_view line);
[[nodiscard]] bool is_error(std::string_view reply);
// An exact unsigned integer from a JSON number (REQUIREs one).
[[nodiscard]] std::uint64_t u64(const json::Value& value);
// The element of a JSON array whose "name" is `name`, or null.
[[nodiscard]] const json::Value& by_name(const json::Value& array, std::string_view name);
// Waits until `show sites json` says both sites are up; REQUIREs it.
void require_sites_up(const std::filesystem::path& socket, Deadline deadline = deadline_in(10s));
// Waits until `show status json`'s active_site is `site`; REQUIREs it.
void require_active(const std::filesystem::path& socket, std::string_view site,
                    Deadline deadline = deadline_in(10s));
// Waits until `pred(show status json)` holds; the last document seen (REQUIREs the condition).
json::Value require_status(const std::filesystem::path& socket,
                           const std::function<bool(const json::Value&)>& pred,
                           std::string_view what, Deadline deadline = deadline_in(10s));

// "key:  value" lines (show status, show info) until the first line without ": ".
[[nodiscard]] std::map<std::string, std::string> key_values(std::string_view text);
// A whitespace-aligned table (show sites, show sessions): header words → cells, for the first
// `columns` columns (the last column may contain spaces and is not split).
[[nodiscard]] std::vector<std::map<std::string, std::string>> table_rows(std::string_view text,
                                                                        std::size_t columns);

// `show stat` as HAProxy writes it: "# field,field,...,-," then one CSV row per proxy/server.
struct StatCsv {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
    [[nodiscard]] const std::map<std::string, std::string>* row(std::string_view svname) const;
};
[[nodiscard]] std::optional<StatCsv> parse_show_stat(std::string_view text, std::string& error);
[[nodiscard]] std::uint64_t stat_number(const std::map<std::string, std::string>& row,
                                        const std::string& field);

// --- lb ctl and HTTP -------------------------------------------------------------------------

struct CtlResult {
    int exit_code = -1;  // -1: killed at the deadline or did not exit normally
    std::string out;
    std::string err;
};
// Runs `LB_BINARY ctl ARGS...` with a 10 s deadline.
[[nodiscard]] CtlResult run_ctl(const std::vector<std::string>& args);

struct HttpReply {
    int status = 0;
    std::string head;
    std::string body;
};
// GET `path` from 127.0.0.1:port with Connection: close; nullopt if no complete reply came.
[[nodiscard]] std::optional<HttpReply> fetch_http(std::uint16_t port, const std::string& path);
// GET /metrics and parse it; REQUIREs status 200 and a valid exposition.
[[nodiscard]] Exposition scrape(std::uint16_t port);
[[nodiscard]] double metric(const Exposition& exposition, std::string_view name,
                            const Labels& labels);
// The sum of every sample of `name` whose labels include `subset`.
[[nodiscard]] double metric_sum(const Exposition& exposition, std::string_view name,
                                const Labels& subset);

}  // namespace lb::test::ops
