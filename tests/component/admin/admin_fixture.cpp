// Fixture plumbing: the loop runs only inside run_until(), which waits on the loop's backend fd
// (at most 2 ms at a time, so client-side conditions are noticed too) until a deadline.
#include "tests/component/admin/admin_fixture.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>

namespace lb::admin::test {

Status canned_status() {
    Status status;
    status.version = "0.1.0";
    status.pid = 4242;
    status.uptime_s = 93'784;
    status.active_site = "site-a";
    status.epoch = 3;
    status.last_transition = "site-b -> site-a (failback): operator";
    status.failovers_total = 2;
    status.max_connections = 20'000;
    status.connections_active = 7;
    status.connections_total = 1234;
    status.workers = 2;

    SiteStatus a;
    a.name = "site-a";
    a.role = config::SiteRole::Primary;
    a.address = "10.0.0.11";
    a.health = health::Health::Up;
    a.admin_state = policy::AdminState::Ready;
    a.active = true;
    a.check_kind = config::CheckKind::Http;
    a.last_check = CheckSummary{true, health::CheckCause::Passed, 200, "http 200", 1.5, 300};
    a.checks_failed_total = 4;
    a.health_changes_total = 2;
    a.last_change_age_s = 3600;
    a.connections_active = 7;
    a.connections_max = 50;
    a.connections_total = 1200;
    a.connect_errors_total = 1;
    a.bytes_to_site = 1000;
    a.bytes_to_client = 9000;

    SiteStatus b;
    b.name = "site-b";
    b.role = config::SiteRole::Standby;
    b.address = "10.0.0.12";
    b.health = health::Health::Down;
    b.admin_state = policy::AdminState::Ready;
    b.check_kind = config::CheckKind::Http;
    b.last_check = CheckSummary{
        false, health::CheckCause::ConnectRefused, std::nullopt, "connect refused", 0.2, 800};
    b.checks_failed_total = 40;
    b.health_changes_total = 1;
    b.last_change_age_s = 120;
    b.connections_total = 34;
    b.connect_errors_total = 3;
    status.sites = {a, b};

    ListenerStatus https;
    https.name = "https";
    https.bind = "0.0.0.0:443";
    https.target_port = 443;
    https.connections_active = 5;
    https.connections_max = 40;
    https.connections_total = 1000;
    https.bytes_client_to_site = 800;
    https.bytes_site_to_client = 8000;
    ListenerStatus ssh;
    ssh.name = "ssh";
    ssh.bind = "0.0.0.0:22";
    ssh.target_port = 2222;
    ssh.connections_active = 2;
    ssh.connections_max = 10;
    ssh.connections_total = 234;
    ssh.rejected_total = 1;
    status.listeners = {https, ssh};
    return status;
}

Status FakeController::status() {
    calls.emplace_back("status");
    return canned;
}

void FakeController::sessions(std::function<void(std::vector<SessionInfo>)> done) {
    calls.emplace_back("sessions");
    if (defer_sessions)
        pending_sessions.push_back(std::move(done));
    else
        done(open_sessions);
}

SiteStatus* FakeController::find_site(const std::string& name) {
    for (SiteStatus& site : canned.sites)
        if (site.name == name) return &site;
    return nullptr;
}

Outcome FakeController::pin(const std::string& site, bool kill_other_sessions) {
    calls.push_back(fmt::format("pin {} {}", site, kill_other_sessions ? "kill" : "keep"));
    if (find_site(site) == nullptr) return {false, fmt::format("unknown site '{}'", site)};
    return {true, fmt::format("pinned {}", site)};
}

Outcome FakeController::unpin() {
    calls.emplace_back("unpin");
    return {true, "unpinned"};
}

Outcome FakeController::failback() {
    calls.emplace_back("failback");
    return {false, "the primary site-a is not up"};
}

Outcome FakeController::set_site_state(const std::string& site, const std::string& state) {
    calls.push_back(fmt::format("set_site_state {} {}", site, state));
    if (find_site(site) == nullptr) return {false, fmt::format("unknown site '{}'", site)};
    return {true, fmt::format("site {} is now {}", site, state)};
}

void FakeController::reload(std::function<void(Outcome)> done) {
    calls.emplace_back("reload");
    if (defer_reload)
        pending_reloads.push_back(std::move(done));
    else
        done(reload_outcome);
}

Outcome FakeController::set_site_health(const std::string& site, const std::string& health) {
    calls.push_back(fmt::format("set_site_health {} {}", site, health));
    SiteStatus* found = find_site(site);
    if (found == nullptr) return {false, fmt::format("unknown site '{}'", site)};
    if (health == "up") found->health = health::Health::Up;
    if (health == "down") found->health = health::Health::Down;
    if (health == "stopping") found->admin_state = policy::AdminState::Drain;
    return {true, fmt::format("site {} is now {}", site, health)};
}

Outcome FakeController::set_site_weight(const std::string& site, unsigned weight) {
    calls.push_back(fmt::format("set_site_weight {} {}", site, weight));
    SiteStatus* found = find_site(site);
    if (found == nullptr) return {false, fmt::format("unknown site '{}'", site)};
    found->weight = weight;
    return {true, fmt::format("site {} has weight {}", site, weight)};
}

Outcome FakeController::peer_force_master() {
    calls.push_back("peer_force_master");
    return {true, "forced"};
}

Outcome FakeController::peer_step_down() {
    calls.push_back("peer_step_down");
    if (!canned.peer) return {false, "there is no [peer] section: nothing to step down from"};
    canned.peer->advertised_priority = 0;
    return {true, "stepping down"};
}

bool FakeController::called(std::string_view call) const {
    for (const std::string& c : calls)
        if (c == call) return true;
    return false;
}

AdminClient::AdminClient(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
    // A Unix connect completes at once (the listener's backlog takes it): no loop run needed.
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return;
    }
    fd_ = fd;
}

AdminClient::~AdminClient() { close(); }

long AdminClient::send_some(std::string_view data) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<long>(n);
    return errno == EAGAIN ? 0 : -1;
}

void AdminClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void AdminClient::close(bool reset) {
    if (fd_ < 0) return;
    if (reset) {
        const linger hard{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    ::close(fd_);
    fd_ = -1;
}

void AdminClient::pump() {
    char chunk[65536];
    while (fd_ >= 0 && !peer_closed_) {
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            peer_closed_ = true;
        } else {
            return;
        }
    }
}

std::optional<std::string> AdminClient::take_reply() {
    std::size_t body_size = 0;  // the body, its lines' "\n" included
    std::size_t used = 1;       // the body, the empty line and the prompt, if any
    if (!buffer_.starts_with("\n")) {
        const std::size_t end = buffer_.find("\n\n");
        if (end == std::string::npos) return std::nullopt;
        body_size = end + 1;
        used = end + 2;
    }
    if (interactive_) {
        // The prompt comes with the reply (one write); wait for it unless the server is gone.
        if (buffer_.size() < used + 2 && !peer_closed_) return std::nullopt;
        if (buffer_.compare(used, 2, "> ") == 0) used += 2;
    }
    std::string body = buffer_.substr(0, body_size);
    buffer_.erase(0, used);
    return body;
}

bool AdminClient::take_prompt_reply() {
    if (!buffer_.starts_with("\n> ")) return false;
    buffer_.erase(0, 3);
    interactive_ = true;
    return true;
}

AdminFixture::AdminFixture(AdminLimits limits, unsigned mode) {
    std::signal(SIGPIPE, SIG_IGN);  // as lb does: a vanished client is EPIPE, not death
    REQUIRE(uv_loop_init(&loop_) == 0);
    path = (dir.path() / "admin.sock").string();
    server = std::make_unique<AdminServer>(&loop_, commands, limits);
    const auto started = server->start(path, mode);
    INFO((started.ok() ? std::string() : started.error()));
    REQUIRE(started.ok());
}

AdminFixture::~AdminFixture() {
    server.reset();
    const bool drained = run_until([&] { return uv_loop_alive(&loop_) == 0; });
    CHECK(drained);
    CHECK(uv_loop_close(&loop_) == 0);
}

bool AdminFixture::run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        uv_run(&loop_, UV_RUN_NOWAIT);
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        pollfd backend{uv_backend_fd(&loop_), POLLIN, 0};
        ::poll(&backend, 1, 2);
    }
}

std::string AdminFixture::reply(AdminClient& client) {
    std::optional<std::string> body;
    const bool got = run_until([&] {
        client.pump();
        body = client.take_reply();
        return body.has_value();
    });
    INFO("received so far: " << client.unread());
    REQUIRE(got);
    return *body;
}

bool AdminFixture::send_all(AdminClient& client, std::string_view data) {
    return run_until(
               [&] {
                   const long n = client.send_some(data);
                   if (n < 0) return true;  // the server closed: let the caller look
                   data.remove_prefix(static_cast<std::size_t>(n));
                   return data.empty();
               },
               std::chrono::seconds(20)) &&
           data.empty();
}

std::string AdminFixture::ask(AdminClient& client, std::string_view line) {
    REQUIRE(send_all(client, std::string(line) + "\n"));
    return reply(client);
}

void AdminFixture::prompt(AdminClient& client) {
    REQUIRE_FALSE(client.interactive());
    REQUIRE(send_all(client, "prompt\n"));
    const bool got = run_until([&] {
        client.pump();
        return client.take_prompt_reply() || client.peer_closed();
    });
    INFO("received so far: " << client.unread());
    REQUIRE(got);
    REQUIRE(client.interactive());
}

bool AdminFixture::closed_by_server(AdminClient& client, std::chrono::milliseconds timeout) {
    return run_until(
        [&] {
            client.pump();
            return client.peer_closed();
        },
        timeout);
}

}  // namespace lb::admin::test
