// HaproxyProcess: the config, the child, readiness on the stats socket.
#include "tests/support/haproxy_process.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "tests/support/program.h"
#include "tests/support/runtime_api_client.h"

namespace lb::test {

std::string HaproxyConfig::render(const std::filesystem::path& stats_socket) const {
    std::ostringstream out;
    out << "global\n"
        << "    nbthread " << nbthread << "\n"
        << "    maxconn " << maxconn << "\n"
        << "    stats socket " << stats_socket.string() << " level admin\n"
        << "\n"
        << "defaults\n"
        << "    mode tcp\n"
        << "    timeout connect " << connect_timeout << "\n"
        << "    timeout client " << idle_timeout << "\n"
        << "    timeout server " << idle_timeout << "\n"
        << "    timeout check " << check_timeout << "\n"
        << "\n"
        << "frontend " << proxy << "\n"
        << "    bind " << bind << "\n"
        << "    default_backend " << proxy << "\n"
        << "\n"
        << "backend " << proxy << "\n";
    for (const HaproxyServer& server : servers) {
        out << "    server " << server.name << " " << server.address << ":" << server.port
            << " check inter " << check_interval << " rise " << rise << " fall " << fall
            << (server.backup ? " backup" : "")
            << (server.options.empty() ? "" : " " + server.options) << "\n";
    }
    return out.str();
}

std::string HaproxyProcess::binary() {
    if (const char* env = std::getenv("LB_HAPROXY"); env != nullptr && *env != '\0')
        return ::access(env, X_OK) == 0 ? env : "";
    return find_program("haproxy");
}

HaproxyProcess::HaproxyProcess(const HaproxyConfig& config) : socket_(dir_.path() / "stats.sock") {
    const auto config_path = dir_.path() / "haproxy.cfg";
    write_file(config_path, config.render(socket_));
    const auto log = dir_.path() / "haproxy.log";
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary(), "-f", config_path.string(), "-db"}, log, log);
}

HaproxyProcess::~HaproxyProcess() { stop(); }

bool HaproxyProcess::wait_ready(Deadline deadline) {
    return wait_until(
               [&] {
                   if (!process_->running()) return true;  // ends the wait; checked below
                   const auto reply =
                       ask_and_close(socket_, "show info\n", deadline_in(std::chrono::seconds(1)));
                   return reply.has_value() && reply->starts_with("Name: ");
               },
               deadline, std::chrono::milliseconds(20)) &&
           process_->running();
}

void HaproxyProcess::stop() {
    if (process_ && process_->running())
        (void)process_->stop(SIGTERM, deadline_in(std::chrono::seconds(5)));
}

std::string HaproxyProcess::config_text() const { return read_file(dir_.path() / "haproxy.cfg"); }

std::string HaproxyProcess::log_text() const { return read_file(dir_.path() / "haproxy.log"); }

}  // namespace lb::test
