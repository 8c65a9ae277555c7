// A private network a test builds for itself and tears down: a bridge in a namespace of its own
// ("sw") and one namespace per node, each joined to the bridge by a veth pair (eth0 in the node,
// v-NODE on the bridge), on one /24 (and, asked for, one IPv6 /64: fd00:99:X::/64, each node
// with fe80::HOST and fd00:99:X::HOST, both without duplicate address detection, so usable at
// once; the kernel's own link-local address is not generated, and DAD stays on for any address a
// program adds later) that exists only inside these namespaces (the test's host
// never sees it, so every test may use the same subnet). Names are unique per test
// (sitelb-PID-N-NODE); the destructor deletes the namespaces. Processes started in a node belong
// to their ChildProcess / LbProcess objects, which end them by PID: destroy those first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/program.h"
#include "tests/support/wait.h"

namespace lb::test {

// Ends the test binary with exit code 77 and a framed message unless this process can build a
// topology: root, `ip` and `nft` installed, and network namespaces allowed (an unprivileged
// container refuses them with EPERM). Call before anything that needs cleaning up.
void require_netns_support();

class NetnsTopology {
public:
    struct NodeSpec {
        std::string name;        // "lb1": at most 12 characters
        std::vector<int> hosts;  // host numbers on the subnet: {1} is 10.99.0.1/24
    };

    // Builds it all (require_netns_support() first). `subnet` is the third octet of 10.99.X.0/24
    // (and the third group of fd00:99:X::/64 with `ipv6`). Throws std::runtime_error with the
    // failing command's output if a step fails; what was built is torn down.
    explicit NetnsTopology(std::vector<NodeSpec> nodes, int subnet = 0, bool ipv6 = false);
    ~NetnsTopology();
    NetnsTopology(const NetnsTopology&) = delete;
    NetnsTopology& operator=(const NetnsTopology&) = delete;

    // The namespace's name ("sitelb-4242-1-lb1"); the node must exist.
    [[nodiscard]] const std::string& netns(std::string_view node) const;
    // "10.99.0.HOST".
    [[nodiscard]] std::string address(int host) const;
    // The node's first address.
    [[nodiscard]] std::string ip(std::string_view node) const;
    [[nodiscard]] int prefix_length() const { return 24; }
    // "fd00:99:X::HOST" as inet_ntop writes it ("fd00:99::100" on subnet 0); the host number's
    // decimal digits are the last group. Any host, whether the topology has IPv6 or not.
    [[nodiscard]] std::string address6(int host) const;
    [[nodiscard]] int prefix_length6() const { return 64; }

    // The MAC address of the node's eth0 ("aa:bb:cc:dd:ee:ff"); "" if `ip` does not say.
    [[nodiscard]] std::string mac(std::string_view node) const;
    // The node's neighbour-cache entry for `ip` on eth0 (`ip neigh show to IP dev eth0`): the MAC
    // it holds ("" for none, e.g. INCOMPLETE or FAILED) and the whole line, for messages.
    struct Neighbour {
        std::string mac;
        std::string line;
    };
    [[nodiscard]] Neighbour neighbour(std::string_view node, const std::string& ip) const;

    // How to start a program inside `node` (ChildProcess, LbProcess).
    [[nodiscard]] SpawnOptions spawn_options(std::string_view node) const;
    // Runs `argv` (argv[0] absolute) inside `node` to completion; SIGKILL at `deadline`.
    [[nodiscard]] ProgramResult run(std::string_view node, const std::vector<std::string>& argv,
                                    Deadline deadline) const;

    // The node loses carrier: its veth's other end, on the bridge, goes down (a pulled cable).
    // The node's eth0 stays administratively up, with its addresses.
    void link_down(std::string_view node);
    void link_up(std::string_view node);
    // nftables inside the node drop every packet in and out of its eth0 (IPv4, IPv6 and ARP):
    // it hears nothing and nobody hears it. heal() deletes those tables.
    void partition(std::string_view node);
    void heal(std::string_view node);
    // nftables inside the node drop what it sends to ip:port over TCP, and nothing else (one
    // service unreachable from one node). restore_tcp() deletes that table.
    void cut_tcp(std::string_view node, const std::string& ip, std::uint16_t port);
    void restore_tcp(std::string_view node);
    // nftables inside the node drop every IP packet to and from `ip` (the link between two
    // nodes broken, each still reaching everyone else). restore_tcp() deletes it too.
    void cut_ip(std::string_view node, const std::string& ip);

    // `ip -o -4 addr show dev eth0` inside `node` (and -6 with IPv6), for messages.
    [[nodiscard]] std::string describe_addresses(std::string_view node) const;

private:
    // Runs `ip ARGS...` (in the test's namespace; use "-n" for others); throws on failure.
    void run_ip(const std::vector<std::string>& args) const;
    void nft(std::string_view node, const std::string& script) const;
    void teardown() noexcept;

    std::string prefix_;  // "sitelb-4242-1"
    int subnet_;
    bool ipv6_;
    std::string switch_netns_;
    std::map<std::string, std::string, std::less<>> netns_;  // node → namespace
    std::map<std::string, std::vector<int>, std::less<>> hosts_;
    std::vector<std::string> created_;  // namespaces, in creation order
    std::string ip_path_;
    std::string nft_path_;
};

}  // namespace lb::test
