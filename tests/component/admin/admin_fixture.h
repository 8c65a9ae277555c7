// The admin socket in process: a real libuv loop on the test's thread running an AdminServer on
// a real Unix socket in a temporary directory, a FakeController that records calls and answers
// from a canned Status, and non-blocking raw clients. Waits are conditions with deadlines.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/admin/admin_server.h"
#include "lb/admin/controller_commands.h"
#include "lb/admin/controller.h"
#include "tests/support/temp_dir.h"

namespace lb::admin::test {

// Two sites (site-a primary, up, active; site-b standby, down), two listeners (https, ssh).
[[nodiscard]] Status canned_status();

class FakeController : public Controller {
public:
    Status canned = canned_status();
    std::vector<SessionInfo> open_sessions;
    std::vector<std::string> calls;  // "status", "sessions", "pin site-b kill", ...
    bool defer_sessions = false;     // keep the callbacks for the test to answer later
    bool defer_reload = false;
    std::vector<std::function<void(std::vector<SessionInfo>)>> pending_sessions;
    std::vector<std::function<void(Outcome)>> pending_reloads;
    Outcome reload_outcome{true, "configuration reloaded"};

    Status status() override;
    void sessions(std::function<void(std::vector<SessionInfo>)> done) override;
    Outcome pin(const std::string& site, bool kill_other_sessions) override;
    Outcome unpin() override;
    Outcome failback() override;
    Outcome set_site_state(const std::string& site, const std::string& state) override;
    void reload(std::function<void(Outcome)> done) override;
    // Both record the call ("set_site_health site-a down", "set_site_weight site-b 0") and, for
    // a known site, apply it to `canned`, so later `show` and `get weight` replies see it.
    Outcome set_site_health(const std::string& site, const std::string& health) override;
    Outcome set_site_weight(const std::string& site, unsigned weight) override;
    Outcome peer_step_down() override;
    Outcome peer_force_master() override;

    [[nodiscard]] bool called(std::string_view call) const;

private:
    [[nodiscard]] SiteStatus* find_site(const std::string& name);
};

// A raw client: a connected, non-blocking Unix socket and what it has received so far. Like
// HAProxy's, the server answers what it received and then closes (non-interactive mode); a
// client that asks several times with pauses between switches to interactive mode first
// (AdminFixture::prompt), after which take_reply() also consumes the "> " after each reply.
class AdminClient {
public:
    explicit AdminClient(const std::string& path);
    ~AdminClient();
    AdminClient(const AdminClient&) = delete;
    AdminClient& operator=(const AdminClient&) = delete;

    [[nodiscard]] bool connected() const { return fd_ >= 0; }
    [[nodiscard]] int fd() const { return fd_; }
    // Sends what the socket takes now; returns the number of bytes taken (-1 on error).
    long send_some(std::string_view data);
    void shutdown_write();
    void close(bool reset = false);
    // Reads whatever is pending; notes EOF or a reset.
    void pump();
    // The next complete reply (body without the terminating empty line), if one arrived. In
    // interactive mode the reply is complete once the prompt after it arrived (or the server
    // closed), and the prompt is consumed with it.
    [[nodiscard]] std::optional<std::string> take_reply();
    // Consumes the reply to `prompt` ("\n> ") if it arrived; from then on replies are followed
    // by "> ". False if it has not arrived (yet).
    [[nodiscard]] bool take_prompt_reply();
    [[nodiscard]] bool interactive() const { return interactive_; }
    [[nodiscard]] bool peer_closed() const { return peer_closed_; }
    [[nodiscard]] const std::string& unread() const { return buffer_; }

private:
    int fd_ = -1;
    std::string buffer_;
    bool peer_closed_ = false;
    bool interactive_ = false;
};

class AdminFixture {
public:
    explicit AdminFixture(AdminLimits limits = {}, unsigned mode = 0660);
    ~AdminFixture();  // stops the server, closes every handle, checks uv_loop_close() == 0
    AdminFixture(const AdminFixture&) = delete;
    AdminFixture& operator=(const AdminFixture&) = delete;

    [[nodiscard]] uv_loop_t* loop() { return &loop_; }
    // Runs the loop until `pred` holds; false if `timeout` passed first.
    bool run_until(const std::function<bool()>& pred,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Runs the loop until `client` has a complete reply; FAILs the test if none comes.
    std::string reply(AdminClient& client);
    // Sends all of `data`, running the loop while the socket is full.
    bool send_all(AdminClient& client, std::string_view data);
    // Sends `line` + "\n" and returns the reply.
    std::string ask(AdminClient& client, std::string_view line);
    // Sends "prompt" and waits for its "\n> ": the connection stays open across pauses and
    // asks. FAILs the test if the reply does not come.
    void prompt(AdminClient& client);
    // Runs the loop until the server has closed `client`'s connection; false if `timeout`
    // passed first.
    bool closed_by_server(AdminClient& client,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

    std::string path;  // the admin socket
    FakeController controller;
    ControllerCommands commands{controller};
    lb::test::TempDir dir{"lb-admin"};
    std::unique_ptr<AdminServer> server;

private:
    uv_loop_t loop_{};
};

}  // namespace lb::admin::test
