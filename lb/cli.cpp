#include "lb/cli.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "config/arbiter_config.h"
#include "config/haproxy/import_haproxy.h"
#include "config/load_config.h"
#include "lb/arbiter/arbiter_process.h"
#include "lb/admin/ctl_client.h"
#include "lb/base/log_writer.h"
#include "lb/base/logger.h"
#include "lb/control/config_warnings.h"
#include "lb/control/daemon.h"

namespace lb {
namespace {

constexpr const char* kDefaultConfig = "/etc/lb/lb.toml";

constexpr const char* kUsage =
    "usage:\n"
    "  lb run   [-c lb.toml]   run the balancer in the foreground (logs to stderr)\n"
    "  lb check [-c lb.toml]   validate a config (lb.toml or arbiter.toml); errors as\n"
    "                          file:line:col, exit 1 on error\n"
    "  lb arbiter -c arbiter.toml\n"
    "                          run as a peer pair's arbiter, the third vote (no traffic, no VIP)\n"
    "  lb ctl   [-s SOCKET | -c lb.toml] COMMAND...\n"
    "                          send one admin command (try: lb ctl help); exit 1 on an error "
    "reply\n"
    "                          (-c arbiter.toml: the arbiter's socket)\n"
    "  lb import-haproxy haproxy.cfg [-o lb.toml]\n"
    "                          convert a HAProxy config to lb.toml (stdout, or -o FILE); what\n"
    "                          has no equivalent is reported as FILE:LINE: warning; exit 1 when\n"
    "                          nothing can be converted\n"
    "  lb version\n";

struct Options {
    std::string config_path = kDefaultConfig;
    bool config_given = false;
    std::string socket_path;  // lb ctl -s
    std::vector<std::string> rest;
};

std::optional<Options> parse_options(const std::vector<std::string>& args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-c" || args[i] == "--config") {
            if (i + 1 == args.size()) {
                std::fprintf(stderr, "lb: %s needs a file name\n", args[i].c_str());
                return std::nullopt;
            }
            options.config_path = args[++i];
            options.config_given = true;
        } else if ((args[i] == "-s" || args[i] == "--socket") && options.rest.empty()) {
            if (i + 1 == args.size()) {
                std::fprintf(stderr, "lb: %s needs a socket path\n", args[i].c_str());
                return std::nullopt;
            }
            options.socket_path = args[++i];
        } else {
            options.rest.push_back(args[i]);
        }
    }
    return options;
}

std::optional<config::Config> load_or_report(const std::string& path) {
    config::Diagnostics diagnostics;
    auto config = config::load_config(path, diagnostics);
    std::fputs(diagnostics.to_string().c_str(), stderr);
    return config;
}

// The file's text, or "" when it cannot be read (the loaders then say why).
std::string read_text(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    if (file) text << file.rdbuf();
    return text.str();
}

std::optional<config::ArbiterConfig> load_arbiter_or_report(const std::string& path) {
    config::Diagnostics diagnostics;
    auto config = config::load_arbiter_config(path, diagnostics);
    std::fputs(diagnostics.to_string().c_str(), stderr);
    return config;
}

int check_arbiter(const Options& options) {
    const auto config = load_arbiter_or_report(options.config_path);
    if (!config) return 1;
    std::printf("arbiter on %s for %s and %s, lease %lld ms, state file %s\n",
                config->bind.to_string().c_str(), config->members.at(0).c_str(),
                config->members.at(1).c_str(), static_cast<long long>(config->lease.count()),
                config->state_file.c_str());
    std::printf("%s: ok\n", options.config_path.c_str());
    return 0;
}

int arbiter_command(const Options& options) {
    auto config = load_arbiter_or_report(options.config_path);
    if (!config) return 1;
    // As lb run's: a stalled stderr must not stall the loop that answers lease requests.
    const log::WriterScope log_writer;
    return arbiter::run_arbiter(std::move(*config));
}

int check_command(const Options& options) {
    if (config::is_arbiter_config(read_text(options.config_path))) return check_arbiter(options);
    auto config = load_or_report(options.config_path);
    if (!config) return 1;
    std::fputs(config::summarize(*config).c_str(), stdout);
    std::printf("%s: ok\n", options.config_path.c_str());
    return 0;
}

// Each session needs two fds; the default soft limit (1024) would cap us far below
// max_connections.
void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// The socket comes from -s, else from the config's admin.socket (-c, an lb.toml or an arbiter's
// file, or the default config if it exists), else the default path.
int ctl_command(const Options& options) {
    if (options.rest.empty()) {
        std::fputs("lb ctl: no command given (try: lb ctl help)\n", stderr);
        return 2;
    }
    std::string socket = options.socket_path;
    if (socket.empty()) {
        socket = config::Admin{}.socket;
        if (options.config_given || ::access(options.config_path.c_str(), R_OK) == 0) {
            if (config::is_arbiter_config(read_text(options.config_path))) {
                auto config = load_arbiter_or_report(options.config_path);
                if (!config) return 2;
                socket = config->admin.socket;
            } else {
                auto config = load_or_report(options.config_path);
                if (!config) return 2;
                socket = config->admin.socket;
            }
        }
    }
    return admin::run_ctl(socket, options.rest);
}

int run_command(const Options& options) {
    config::Diagnostics diagnostics;
    auto config = config::load_config(options.config_path, diagnostics);
    if (!config) {
        std::fputs(diagnostics.to_string().c_str(), stderr);
        return 1;
    }
    // Warnings go through the log, so with log_format = "json" they are JSON lines too.
    log::set_json(config->global.log_format == config::LogFormat::Json);
    std::signal(SIGPIPE, SIG_IGN);  // a peer that went away is an EPIPE, not a crash
    // From here on a writer thread writes the log, so a slow stderr never stalls a worker; it
    // flushes when this returns, after the daemon's last lines (a failed start's too).
    const log::WriterScope log_writer;
    log_config_warnings(diagnostics);
    raise_fd_limit();
    Daemon daemon(std::move(*config));
    if (auto started = daemon.start(); !started.ok()) {
        log::error("cannot start: {}", started.error());
        return 1;
    }
    daemon.run();
    return 0;
}

// lb import-haproxy FILE [-o OUT]: the conversion itself is pure (config/haproxy/); this reads
// the file and the environment ("${VAR}" in the file) and writes the result.
int import_haproxy_command(const std::vector<std::string>& args) {
    std::string input;
    std::string output;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-o" || args[i] == "--output") {
            if (i + 1 == args.size()) {
                std::fprintf(stderr, "lb import-haproxy: %s needs a file name\n", args[i].c_str());
                return 2;
            }
            output = args[++i];
        } else if (input.empty()) {
            input = args[i];
        } else {
            std::fprintf(stderr, "lb import-haproxy: unexpected argument '%s'\n%s",
                         args[i].c_str(), kUsage);
            return 2;
        }
    }
    if (input.empty()) {
        std::fprintf(stderr, "lb import-haproxy: which haproxy.cfg? (none given)\n%s", kUsage);
        return 2;
    }
    std::ifstream file(input, std::ios::binary);
    if (!file) {
        std::fprintf(stderr, "lb import-haproxy: cannot read %s: %s\n", input.c_str(),
                     std::strerror(errno));
        return 1;
    }
    std::ostringstream text;
    text << file.rdbuf();
    const config::haproxy::Environment environment =
        [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
    const auto result = config::haproxy::import_haproxy(text.str(), input, environment);
    std::fputs(result.diagnostics.to_string(input).c_str(), stderr);
    if (!result.toml) return 1;
    if (output.empty()) {
        std::fputs(result.toml->c_str(), stdout);
        return 0;
    }
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << *result.toml;
    out.close();
    if (!out) {
        std::fprintf(stderr, "lb import-haproxy: cannot write %s: %s\n", output.c_str(),
                     std::strerror(errno));
        return 1;
    }
    return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    if (command == "version" || command == "--version") {
        std::printf("lb %s\n", LB_VERSION);
        return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    // Its own arguments: -c and -s mean nothing to it.
    if (command == "import-haproxy") return import_haproxy_command(args);
    auto options = parse_options(args);
    if (!options) return 2;
    if (command == "check") return check_command(*options);
    if (command == "run") return run_command(*options);
    if (command == "ctl") return ctl_command(*options);
    if (command == "arbiter") return arbiter_command(*options);
    std::fprintf(stderr, "lb: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
}

}  // namespace lb
