// End-to-end tests of what lb tells systemd (the packaged unit is Type=notify): the test plays
// the service manager, with a datagram socket of its own passed as $NOTIFY_SOCKET, and checks
// each message against what a client sees at that moment: READY=1 only once the listener
// accepts, RELOADING=1 then READY=1 around every reload (applied or rejected), STOPPING=1 when
// a drain begins, all sent by lb's main process (the unit's NotifyAccess=main).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "tests/e2e/ops_fixture.h"

namespace lb::test::ops {
namespace {

struct Notification {
    std::string text;
    pid_t sender = 0;
};

// The service manager's end of $NOTIFY_SOCKET: a datagram socket that receives the sender's
// credentials with every message, as systemd's does.
class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = Fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd_);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path.native().size() < sizeof(address.sun_path));
        std::strcpy(address.sun_path, path.c_str());
        REQUIRE(::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) ==
                0);
        const int on = 1;
        REQUIRE(::setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0);
    }

    [[nodiscard]] std::string environment() const { return "NOTIFY_SOCKET=" + path_.string(); }

    // The next message, or nullopt at the deadline.
    [[nodiscard]] std::optional<Notification> next(Deadline deadline) {
        pollfd ready{fd_.get(), POLLIN, 0};
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        const int wait_ms = static_cast<int>(std::max<long long>(0, left.count()));
        if (::poll(&ready, 1, wait_ms) != 1) return std::nullopt;
        char text[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
        iovec data{text, sizeof(text)};
        msghdr message{};
        message.msg_iov = &data;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof(control);
        const ssize_t got = ::recvmsg(fd_.get(), &message, 0);
        if (got < 0) return std::nullopt;
        Notification out{std::string(text, static_cast<std::size_t>(got))};
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                ucred credentials{};
                std::memcpy(&credentials, CMSG_DATA(c), sizeof(credentials));
                out.sender = credentials.pid;
            }
        }
        return out;
    }

private:
    std::filesystem::path path_;
    Fd fd_;
};

bool has_line(const std::string& text, std::string_view line) {
    for (std::string_view rest = text; !rest.empty();) {
        const auto end = rest.find('\n');
        if (rest.substr(0, end) == line) return true;
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    return false;
}

std::string status_of(const std::string& text) {
    const auto at = text.find("STATUS=");
    if (at == std::string::npos) return {};
    const auto end = text.find('\n', at);
    return text.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

bool accepts(const Front& front) {
    int error = 0;
    return static_cast<bool>(connect_tcp(front.ip, front.port, deadline_in(2s), &error));
}

TEST_CASE(
    "lb run tells systemd it is ready once its listeners accept, reloading and ready again "
    "around each reload, and stopping when it drains",
    "[e2e][ops][one-path][systemd]") {
    Rig rig;
    rig.config.drain_timeout = "5s";
    rig.ws.write_config(rig.config);
    NotifySocket manager(rig.ws.dir() / "notify.sock");
    SpawnOptions options;
    options.environment = {manager.environment()};
    LbProcess lb(rig.ws, options);
    INFO("lb log:\n" << lb.log_text());

    // Started: READY=1 is the first message, and the listener accepts when it arrives.
    auto ready = manager.next(deadline_in(20s));
    REQUIRE(ready);
    INFO("message: " << ready->text);
    CHECK(has_line(ready->text, "READY=1"));
    CHECK(accepts(rig.front));
    CHECK(ready->sender == lb.pid());
    CHECK(status_of(ready->text).starts_with("1 listeners, 2 workers, active site "));

    // A reload that adds a listener: RELOADING=1 (with the monotonic time systemd asks for),
    // then READY=1, after which the new listener accepts.
    const Front added = free_front();
    rig.config.listeners.push_back(rig.listener("added", added.port));
    rig.ws.write_config(rig.config);
    CHECK_FALSE(accepts(added));
    lb.signal(SIGHUP);
    auto reloading = manager.next(deadline_in(10s));
    REQUIRE(reloading);
    INFO("message: " << reloading->text);
    CHECK(has_line(reloading->text, "RELOADING=1"));
    CHECK(reloading->text.find("\nMONOTONIC_USEC=") != std::string::npos);
    CHECK(reloading->sender == lb.pid());
    auto reloaded = manager.next(deadline_in(10s));
    REQUIRE(reloaded);
    INFO("message: " << reloaded->text);
    CHECK(has_line(reloaded->text, "READY=1"));
    CHECK(status_of(reloaded->text).starts_with("reload applied: 2 listeners"));
    CHECK(accepts(added));

    // A reload of a broken file is rejected, and systemd still hears that it ended.
    {
        std::ofstream broken(rig.ws.config_path(), std::ios::app);
        broken << "\n[global]\nworkers = \"many\"\n";
    }
    lb.signal(SIGHUP);
    auto rejecting = manager.next(deadline_in(10s));
    REQUIRE(rejecting);
    CHECK(has_line(rejecting->text, "RELOADING=1"));
    auto rejected = manager.next(deadline_in(10s));
    REQUIRE(rejected);
    INFO("message: " << rejected->text);
    CHECK(has_line(rejected->text, "READY=1"));
    CHECK(status_of(rejected->text).starts_with("reload rejected: "));
    CHECK(accepts(added));  // the running config stayed

    // SIGTERM: STOPPING=1 as the drain begins.
    lb.signal(SIGTERM);
    auto stopping = manager.next(deadline_in(10s));
    REQUIRE(stopping);
    INFO("message: " << stopping->text);
    CHECK(has_line(stopping->text, "STOPPING=1"));
    CHECK(status_of(stopping->text) == "draining for up to 5000 ms");
    const auto exit = lb.wait_exit(deadline_in(10s));
    REQUIRE(exit);
    CHECK(exit->exit_code == 0);
    CHECK_FALSE(manager.next(deadline_in(200ms)));  // nothing after STOPPING=1
}

}  // namespace
}  // namespace lb::test::ops
