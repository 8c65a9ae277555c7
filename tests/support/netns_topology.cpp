// NetnsTopology: `ip` builds and removes it, `nft` partitions a node. Every command has a
// deadline; a failure throws with the command and its output.
#include "tests/support/netns_topology.h"

#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPrefix = "sitelb-";
constexpr const char* kPartitionTable = "sitelb_partition";
constexpr const char* kCutTable = "sitelb_cut";

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& word : words) out += (out.empty() ? "" : " ") + word;
    return out;
}

// Whether a new network namespace may be made here (EPERM in an unprivileged container): a
// child process tries, so the test process never leaves its own.
int try_unshare_netns() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(::unshare(CLONE_NEWNET) == 0 ? 0 : errno);
    if (child < 0) return errno;
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : EINVAL;
}

// Namespaces a killed test run left behind (sitelb-PID-N-NODE whose PID is gone).
void remove_stale_namespaces(const std::string& ip_path) {
    static std::atomic<bool> done{false};
    if (done.exchange(true)) return;
    std::error_code ec;
    const std::regex pattern(R"(^sitelb-([0-9]+)-[0-9]+-.+$)");
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
        const std::string name = entry.path().filename().string();
        std::smatch match;
        if (!std::regex_match(name, match, pattern)) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(match[1].str()));
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
        (void)run_program({ip_path, "netns", "del", name}, deadline_in(10s));
    }
}

}  // namespace

void require_netns_support() {
    if (::geteuid() != 0)
        skip_test(
            "network-namespace tests need root (they create namespaces, veths, a bridge "
            "and nftables rules); run them as root, as CI does");
    for (const char* tool : {"ip", "nft"})
        if (find_program(tool).empty())
            skip_test(std::string("network-namespace tests need `") + tool +
                      "` (iproute2, nftables): scripts/install-deps.sh installs it");
    if (const int error = try_unshare_netns(); error != 0) {
        if (error == EPERM || error == EACCES)
            skip_test(std::string("network namespaces are not allowed here (unshare: ") +
                      std::strerror(error) + "): an unprivileged container?");
        throw std::runtime_error(std::string("unshare(CLONE_NEWNET): ") + std::strerror(error));
    }
}

NetnsTopology::NetnsTopology(std::vector<NodeSpec> nodes, int subnet, bool ipv6)
    : subnet_(subnet), ipv6_(ipv6), ip_path_(find_program("ip")), nft_path_(find_program("nft")) {
    require_netns_support();
    static std::atomic<int> sequence{0};
    prefix_ = kPrefix + std::to_string(::getpid()) + "-" + std::to_string(++sequence);
    remove_stale_namespaces(ip_path_);
    switch_netns_ = prefix_ + "-sw";
    try {
        // The first namespace tells whether `ip netns add` works here at all.
        const ProgramResult first =
            run_program({ip_path_, "netns", "add", switch_netns_}, deadline_in(10s));
        if (first.exit_code != 0) {
            if (first.out.find("not permitted") != std::string::npos ||
                first.out.find("Permission denied") != std::string::npos)
                skip_test("`ip netns add` is refused here: " + first.out);
            throw std::runtime_error("ip netns add " + switch_netns_ + ": " + first.out);
        }
        created_.push_back(switch_netns_);
        run_ip({"-n", switch_netns_, "link", "set", "lo", "up"});
        run_ip({"-n", switch_netns_, "link", "add", "br0", "type", "bridge"});
        run_ip({"-n", switch_netns_, "link", "set", "br0", "up"});
        for (const NodeSpec& node : nodes) {
            if (node.name.empty() || node.name.size() > 12 || netns_.contains(node.name))
                throw std::runtime_error("bad or duplicate node name '" + node.name + "'");
            const std::string netns = prefix_ + "-" + node.name;
            run_ip({"netns", "add", netns});
            created_.push_back(netns);
            netns_.emplace(node.name, netns);
            hosts_.emplace(node.name, node.hosts);
            run_ip({"-n", netns, "link", "set", "lo", "up"});
            const std::string port = "v-" + node.name;
            run_ip({"-n", switch_netns_, "link", "add", port, "type", "veth", "peer", "name",
                    "eth0", "netns", netns});
            run_ip({"-n", switch_netns_, "link", "set", port, "master", "br0", "up"});
            for (const int host : node.hosts)
                run_ip({"-n", netns, "addr", "add",
                        address(host) + "/" + std::to_string(prefix_length()), "dev", "eth0"});
            if (ipv6_) {
                // Before the link is up, which is when the kernel would make its own link-local
                // address and run DAD on it (a second or so of "tentative").
                run_ip({"-n", netns, "link", "set", "eth0", "addrgenmode", "none"});
                for (const int host : node.hosts) {
                    run_ip({"-n", netns, "addr", "add", "fe80::" + std::to_string(host) + "/64",
                            "dev", "eth0", "nodad"});
                    run_ip({"-n", netns, "addr", "add",
                            address6(host) + "/" + std::to_string(prefix_length6()), "dev", "eth0",
                            "nodad"});
                }
            }
            run_ip({"-n", netns, "link", "set", "eth0", "up"});
        }
    } catch (...) {
        teardown();
        throw;
    }
}

NetnsTopology::~NetnsTopology() { teardown(); }

void NetnsTopology::teardown() noexcept {
    // Newest first: the nodes' veths go with them, then the bridge's namespace.
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
        try {
            (void)run_program({ip_path_, "netns", "del", *it}, deadline_in(10s));
        } catch (...) {
        }
    }
    created_.clear();
}

const std::string& NetnsTopology::netns(std::string_view node) const {
    const auto it = netns_.find(node);
    if (it == netns_.end()) throw std::out_of_range("no node " + std::string(node));
    return it->second;
}

std::string NetnsTopology::address(int host) const {
    return "10.99." + std::to_string(subnet_) + "." + std::to_string(host);
}

std::string NetnsTopology::ip(std::string_view node) const {
    const auto it = hosts_.find(node);
    if (it == hosts_.end() || it->second.empty())
        throw std::out_of_range("no address for node " + std::string(node));
    return address(it->second.front());
}

std::string NetnsTopology::address6(int host) const {
    const std::string text = "fd00:99:" + std::to_string(subnet_) + "::" + std::to_string(host);
    in6_addr bytes{};
    if (::inet_pton(AF_INET6, text.c_str(), &bytes) != 1)
        throw std::out_of_range("no IPv6 address for host " + std::to_string(host));
    char out[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &bytes, out, sizeof out);
    return out;
}

std::string NetnsTopology::mac(std::string_view node) const {
    const ProgramResult result = run_program(
        {ip_path_, "-n", netns(node), "-o", "link", "show", "dev", "eth0"}, deadline_in(5s));
    std::smatch match;
    const std::regex pattern("link/ether ([0-9a-f:]{17})");
    return std::regex_search(result.out, match, pattern) ? match[1].str() : "";
}

NetnsTopology::Neighbour NetnsTopology::neighbour(std::string_view node,
                                                  const std::string& ip) const {
    const ProgramResult result = run_program(
        {ip_path_, "-n", netns(node), "neigh", "show", "to", ip, "dev", "eth0"}, deadline_in(5s));
    Neighbour out;
    out.line = result.out;
    while (!out.line.empty() && out.line.back() == '\n') out.line.pop_back();
    std::smatch match;
    const std::regex pattern("lladdr ([0-9a-f:]{17})");
    if (std::regex_search(result.out, match, pattern)) out.mac = match[1].str();
    return out;
}

SpawnOptions NetnsTopology::spawn_options(std::string_view node) const {
    SpawnOptions options;
    options.netns = netns(node);
    return options;
}

ProgramResult NetnsTopology::run(std::string_view node, const std::vector<std::string>& argv,
                                 Deadline deadline) const {
    const TempDir dir("lb-netns-run");
    const auto output = dir.path() / "out";
    ProgramResult result;
    {
        ChildProcess child(argv, output, output, spawn_options(node));
        const auto exit = child.wait_exit(deadline);  // else SIGKILLed when `child` goes
        if (exit && exit->exited) result.exit_code = exit->exit_code;
    }
    result.out = read_file(output);
    return result;
}

void NetnsTopology::run_ip(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{ip_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProgramResult result = run_program(argv, deadline_in(10s));
    if (result.exit_code != 0)
        throw std::runtime_error(join(argv) + " (exit " + std::to_string(result.exit_code) +
                                 "): " + result.out);
}

void NetnsTopology::nft(std::string_view node, const std::string& script) const {
    const TempDir dir("lb-netns-nft");
    const auto file = dir.path() / "rules.nft";
    write_file(file, script);
    const ProgramResult result = run(node, {nft_path_, "-f", file.string()}, deadline_in(10s));
    if (result.exit_code != 0)
        throw std::runtime_error("nft -f in " + netns(node) + " (exit " +
                                 std::to_string(result.exit_code) + "): " + result.out +
                                 "\nrules:\n" + script);
}

void NetnsTopology::link_down(std::string_view node) {
    run_ip({"-n", switch_netns_, "link", "set", "v-" + std::string(node), "down"});
}

void NetnsTopology::link_up(std::string_view node) {
    run_ip({"-n", switch_netns_, "link", "set", "v-" + std::string(node), "up"});
}

void NetnsTopology::partition(std::string_view node) {
    // The netdev family's hooks sit at the device itself, so they also catch what packet
    // sockets send (gratuitous ARP) and ARP, which the inet family never sees.
    nft(node, std::string("table netdev ") + kPartitionTable +
                  " {\n"
                  "  chain in { type filter hook ingress device \"eth0\" priority -500; "
                  "policy drop; }\n"
                  "  chain out { type filter hook egress device \"eth0\" priority -500; "
                  "policy drop; }\n"
                  "}\n");
}

void NetnsTopology::heal(std::string_view node) {
    nft(node, std::string("delete table netdev ") + kPartitionTable + "\n");
}

void NetnsTopology::cut_tcp(std::string_view node, const std::string& ip, std::uint16_t port) {
    nft(node, std::string("table ip ") + kCutTable +
                  " {\n  chain out { type filter hook output priority 0; policy accept;\n"
                  "    ip daddr " + ip + " tcp dport " + std::to_string(port) + " drop\n  }\n}\n");
}

void NetnsTopology::cut_ip(std::string_view node, const std::string& ip) {
    nft(node, std::string("table ip ") + kCutTable +
                  " {\n  chain in { type filter hook input priority 0; policy accept;\n"
                  "    ip saddr " + ip + " drop\n  }\n"
                  "  chain out { type filter hook output priority 0; policy accept;\n"
                  "    ip daddr " + ip + " drop\n  }\n}\n");
}

void NetnsTopology::restore_tcp(std::string_view node) {
    nft(node, std::string("delete table ip ") + kCutTable + "\n");
}

std::string NetnsTopology::describe_addresses(std::string_view node) const {
    const ProgramResult result = run_program(
        {ip_path_, "-n", netns(node), "-o", "-4", "addr", "show", "dev", "eth0"}, deadline_in(5s));
    if (!ipv6_) return result.out;
    return result.out +
           run_program({ip_path_, "-n", netns(node), "-o", "-6", "addr", "show", "dev", "eth0"},
                       deadline_in(5s))
               .out;
}

}  // namespace lb::test
