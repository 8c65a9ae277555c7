// NginxServer: fork/exec with PR_SET_PDEATHSIG (so a crashed test leaves no NGINX behind) and
// `master_process off` (one process to kill). Readiness is "every port accepts", polled with a
// deadline; ports come from free_port(), and one taken anyway between picking and binding is
// retried with a new one.
#include "tests/support/nginx_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/test_sockets.h"

namespace lb::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Endpoint {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

Endpoint make_endpoint(const std::string& ip, std::uint16_t port) {
    Endpoint out;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        out.length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        out.length = sizeof(sockaddr_in6);
    }
    return out;
}

bool accepts_connections(const std::string& ip, std::uint16_t port) {
    const Endpoint ep = make_endpoint(ip, port);
    const int fd = ::socket(ep.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&ep.storage), ep.length) == 0;
    if (!ok && errno == EINPROGRESS) {
        pollfd pfd{fd, POLLOUT, 0};
        int error = 0;
        socklen_t len = sizeof error;
        ok = ::poll(&pfd, 1, 200) == 1 &&
             ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    }
    ::close(fd);
    return ok;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// An NGINX quoted string; NGINX understands \" \\ \n \r \t inside double quotes.
std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += c;
        }
    }
    return out + "\"";
}

std::string listen_address(const std::string& ip, std::uint16_t port) {
    const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
    return host + ":" + std::to_string(port);
}

bool is_executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string NginxServer::binary() {
    if (const char* env = std::getenv("LB_NGINX"); env != nullptr && *env != '\0')
        return is_executable(env) ? env : "";
    if (is_executable("/usr/sbin/nginx")) return "/usr/sbin/nginx";
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty() && is_executable(dir + "/nginx")) return dir + "/nginx";
    }
    return "";
}

NginxServer::NginxServer(NginxOptions options, std::source_location where)
    : options_(std::move(options)) {
    if (binary().empty())
        FAIL(
            "nginx not found: install it (apt-get install nginx-light) or set LB_NGINX; "
            "needed by "
            << where.file_name() << ":" << where.line());
    if (options_.servers.empty()) options_.servers.emplace_back();
    for (const auto& server : options_.servers)
        for (const auto& location : server.locations)
            if (location.body.find('$') != std::string::npos)
                FAIL("NginxLocation body must not contain '$': " << location.body);

    char dir_template[] = "/tmp/lb-nginx-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) FAIL("mkdtemp: " << std::strerror(errno));
    prefix_ = dir_template;
    std::filesystem::create_directories(prefix_ + "/logs");
    std::filesystem::create_directories(prefix_ + "/tmp");

    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
        ports_.clear();
        for (const auto& server : options_.servers)
            ports_.push_back(server.port != 0 ? server.port : free_port(server.address));
        std::ofstream(prefix_ + "/nginx.conf") << render_config();
        if (launch_and_wait(why)) return;
        // Another test may have taken a picked port between the pick and NGINX's bind.
        if (why.find("Address already in use") == std::string::npos) break;
    }
    std::error_code ignored;
    std::filesystem::remove_all(prefix_, ignored);
    FAIL("nginx did not start (" << where.file_name() << ":" << where.line() << "): " << why);
}

NginxServer::~NginxServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(prefix_, ignored);
}

std::string NginxServer::error_log() const { return read_file(prefix_ + "/error.log"); }

std::string NginxServer::render_config() const {
    const std::string& p = prefix_;
    std::ostringstream conf;
    conf << "# Written by tests/support/nginx_server.cpp\n"
         << "master_process off;\n"
         << "pid " << p << "/nginx.pid;\n"
         << "error_log " << p << "/error.log info;\n"
         << "events { worker_connections 256; }\n"
         << "http {\n"
         << "    access_log " << p << "/access.log;\n"
         << "    client_body_temp_path " << p << "/tmp/body;\n"
         << "    proxy_temp_path " << p << "/tmp/proxy;\n"
         << "    fastcgi_temp_path " << p << "/tmp/fastcgi;\n"
         << "    uwsgi_temp_path " << p << "/tmp/uwsgi;\n"
         << "    scgi_temp_path " << p << "/tmp/scgi;\n"
         << "    default_type text/plain;\n"
         << "    " << options_.extra_http << "\n";
    for (std::size_t i = 0; i < options_.servers.size(); ++i) {
        const NginxServerBlock& server = options_.servers[i];
        const bool tls = !server.cert_file.empty() && !server.key_file.empty();
        conf << "    server {\n"
             << "        listen " << listen_address(server.address, ports_[i])
             << (tls ? " ssl" : "") << (server.proxy_protocol ? " proxy_protocol" : "") << ";\n"
             << "        server_name _;\n";
        if (tls)
            conf << "        ssl_certificate " << server.cert_file << ";\n"
                 << "        ssl_certificate_key " << server.key_file << ";\n";
        std::vector<NginxLocation> locations = server.locations;
        if (locations.empty()) locations.push_back(NginxLocation{});
        bool has_root_prefix = false;
        for (const auto& location : locations) {
            conf << "        location " << (location.exact ? "= " : "") << location.path
                 << " { return " << location.status << " " << quoted(location.body) << "; }\n";
            has_root_prefix = has_root_prefix || (!location.exact && location.path == "/");
        }
        if (!has_root_prefix) conf << "        location / { return 404 \"not found\\n\"; }\n";
        conf << "        " << server.extra << "\n"
             << "    }\n";
    }
    conf << "}\n";
    return conf.str();
}

bool NginxServer::launch_and_wait(std::string& why) {
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    const std::string nginx = binary();
    const std::string prefix_arg = prefix_ + "/";
    const std::string error_log_path = prefix_ + "/error.log";
    const std::string conf_path = prefix_ + "/nginx.conf";
    const std::string stdio_path = prefix_ + "/stdio.log";
    std::vector<std::string> args = {nginx, "-p",      prefix_arg, "-e",         error_log_path,
                                     "-c",  conf_path, "-g",       "daemon off;"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) {
        why = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // the test died before prctl took effect
        const int out = ::open(stdio_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    pid_ = pid;

    const auto deadline = Clock::now() + 10s;
    for (;;) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            why = "nginx exited (status " + std::to_string(status) + ")\n--- error.log\n" +
                  error_log() + "--- stdout/stderr\n" + read_file(stdio_path) + "--- nginx.conf\n" +
                  read_file(conf_path);
            return false;
        }
        bool all_up = true;
        for (std::size_t i = 0; i < ports_.size() && all_up; ++i)
            all_up = accepts_connections(options_.servers[i].address, ports_[i]);
        if (all_up) return true;
        if (Clock::now() >= deadline) {
            stop();
            why = "nginx did not accept connections within 10 s\n--- error.log\n" + error_log();
            return false;
        }
        std::this_thread::sleep_for(10ms);  // polling an external process, not a timing guess
    }
}

void NginxServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

void NginxServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + 5s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    pid_ = -1;
}

}  // namespace lb::test
