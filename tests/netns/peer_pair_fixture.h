// Two `lb run` instances sharing a VIP as a [peer] pair, on a NetnsTopology of their own:
//
//   cl 10.99.0.10 (ClientProber) ─┐              ┌─ lb1 10.99.0.1 (priority 250, first MASTER)
//                                 ├── sw: br0 ───┼─ lb2 10.99.0.2 (priority 200)
//   st 10.99.0.20 site-a :8080 ───┘              │   VIP 10.99.0.100/24 on eth0, listener :80
//      10.99.0.21 site-b :8080 (ReplyServers answering their site's name)
//
// The client connects to VIP:80 every 10 ms from the start (ClientProber) and a VipWatcher polls
// both lb namespaces every 5 ms, so a scenario marks the instant of its event and measures what
// clients saw (failed connects, the takeover gap, which site answered) and how long both
// instances held the VIP at once. Every wait has a deadline.
//
// Two variants (PairSettings): an IPv6 VIP, fd00:99::100/64 (every node also has fd00:99::HOST/64
// and the client connects to the VIP over IPv6; adverts and the sites stay IPv4), and adverts to
// a multicast group instead of to the other instance's address.
#pragma once

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tests/support/client_prober.h"
#include "tests/support/json_reader.h"
#include "tests/support/lb_process.h"
#include "tests/support/netns_topology.h"
#include "tests/support/reply_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/vip_watcher.h"
#include "tests/support/wait.h"

namespace lb::test::netns {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

inline constexpr std::uint16_t kPeerPort = 5405;
inline constexpr std::uint16_t kVipPort = 80;
inline constexpr std::uint16_t kSitePort = 8080;
inline constexpr int kVipHost = 100;
inline constexpr int kSiteAHost = 20;
inline constexpr int kSiteBHost = 21;
inline constexpr int kArbiterHost = 50;
inline constexpr std::uint16_t kArbiterPort = 5406;

struct PairSettings {
    bool preempt = false;
    std::string advert_interval = "100ms";
    std::array<int, 2> priority = {250, 200};
    std::string health_interval = "100ms";
    // Non-zero: a service listens on the sites' node (site-a's address) at this port before the
    // instances start, and both track it ([peer] track = ["tcp://ADDRESS:PORT"]).
    std::uint16_t track_port = 0;
    // The VIP is fd00:99::100/64 (listener [fd00:99::100]:80) instead of 10.99.0.100/24.
    bool ipv6_vip = false;
    // Non-empty: both send adverts to this group ("224.0.0.18") instead of to each other, still
    // bound to their own address. An IPv6 group ("ff02::12", with ipv6_vip) sends the adverts
    // over IPv6, bound to fd00:99::1 and fd00:99::2.
    std::string multicast_group;
    // An arbiter (`lb arbiter`) on a node of its own, 10.99.0.50:5406, started before the pair;
    // both instances name it in [peer] arbiter.
    bool arbiter = false;
};

class PeerPair {
public:
    // Builds the topology, starts the sites, lb1 (waits until it is MASTER), then lb2 (BACKUP),
    // the watcher and the prober, and waits until clients are served through the VIP: REQUIREd.
    explicit PeerPair(PairSettings settings = {});
    ~PeerPair();
    PeerPair(const PeerPair&) = delete;
    PeerPair& operator=(const PeerPair&) = delete;

    [[nodiscard]] static const char* name(int i) { return i == 0 ? "lb1" : "lb2"; }
    [[nodiscard]] static VipWatcher::Holders bit(int i) { return VipWatcher::Holders{1} << i; }

    [[nodiscard]] NetnsTopology& net() { return *net_; }
    // The VIP without its prefix length: "10.99.0.100" or "fd00:99::100".
    [[nodiscard]] std::string vip() const;
    // "tcp://ADDRESS:PORT" of the tracked service (PairSettings::track_port).
    [[nodiscard]] std::string track_target() const;
    [[nodiscard]] const std::filesystem::path& key_file() const { return key_file_; }
    [[nodiscard]] LbWorkspace& workspace(int i) {
        return *workspaces_.at(static_cast<std::size_t>(i));
    }
    [[nodiscard]] bool running(int i) const;
    [[nodiscard]] LbProcess& lb(int i);

    // Writes lb i's config (settings as now) and starts it on its workspace; REQUIREs "ready".
    void start(int i);
    // SIGKILL; the process is reaped and its object goes (the workspace stays for a restart).
    void kill(int i);
    // SIGTERM and wait for the exit (a second SIGTERM after 2 s cuts the drain short).
    StopResult terminate(int i);
    void set_preempt(bool preempt) { settings_.preempt = preempt; }
    // The arbiter (PairSettings::arbiter): start it (waits for "ready"), SIGKILL it.
    void start_arbiter();
    void kill_arbiter();
    [[nodiscard]] std::string arbiter_log() const;

    // `show peer json` (its "peer" object) and `show status json` on lb i's admin socket;
    // nullopt when it does not answer.
    [[nodiscard]] std::optional<json::Value> peer(int i) const;
    [[nodiscard]] std::optional<json::Value> status(int i) const;
    // Whether lb i's own checks find a site up (`show status json`).
    [[nodiscard]] bool reaches_a_site(int i) const;
    // "master", "backup", "fault", "init"; "" when it does not answer.
    [[nodiscard]] std::string role(int i) const;
    // adverts_rejected[reason] of lb i (0 when absent).
    [[nodiscard]] std::uint64_t rejected(int i, const std::string& reason) const;
    // `lb ctl -s SOCKET ARGS...` for lb i: exit code and output.
    [[nodiscard]] ProgramResult ctl(int i, const std::vector<std::string>& args) const;

    // Exactly one master: lb `master` says MASTER and holds the VIP, the other (when running)
    // says BACKUP without it, and the watcher sees the VIP on master (and, the other running,
    // not on it). A SIGKILLed instance's namespace keeps the address it had.
    [[nodiscard]] bool settled(int master) const;
    [[nodiscard]] bool wait_settled(int master, Deadline deadline) const;

    [[nodiscard]] const ClientProber& prober() const { return *prober_; }
    [[nodiscard]] const VipWatcher& watcher() const { return *watcher_; }
    // Whether the last `n` attempts that ended all succeeded, the oldest of them started at or
    // after `since`.
    [[nodiscard]] bool serving(SteadyClock::time_point since, std::size_t n = 20) const;
    [[nodiscard]] bool wait_serving(SteadyClock::time_point since, Deadline deadline,
                                    std::size_t n = 20) const;

    // Site 'a' or 'b': stop (connects refused) and start again on the same address.
    void stop_site(char site);
    void start_site(char site);

    // Everything an assertion message needs: roles, addresses, logs' last lines.
    [[nodiscard]] std::string describe() const;

private:
    [[nodiscard]] LbConfig config(int i) const;

    PairSettings settings_;
    std::unique_ptr<NetnsTopology> net_;
    TempDir key_dir_{"lb-netns-key"};
    std::filesystem::path key_file_;
    std::array<std::unique_ptr<ReplyServer>, 2> sites_;
    std::unique_ptr<ReplyServer> tracked_;
    TempDir arbiter_dir_{"lb-netns-arbiter"};
    std::unique_ptr<ChildProcess> arbiter_;
    std::array<std::unique_ptr<LbWorkspace>, 2> workspaces_;
    std::array<std::unique_ptr<LbProcess>, 2> lbs_;
    std::unique_ptr<VipWatcher> watcher_;
    std::unique_ptr<ClientProber> prober_;
};

// Holds while `pred` does, for `how_long`; false at the first time it does not (checked every
// 10 ms). For "nothing changes" checks, whose only deadline is the observation itself.
[[nodiscard]] bool stays(const std::function<bool()>& pred, SteadyClock::duration how_long);

// What clients and the VIP did in [from, to).
struct Measurement {
    std::string scenario;
    ProbeSummary probe;
    VipOverlap vip;
    // From `from` until the watcher first saw the VIP on `to_instance` (0: it held it already);
    // -1 if it never did.
    long long vip_moved_ms = -1;
    // The failed attempts, "+START_MS outcome" from `from` (the first 40), for the report.
    std::string failures;
};
[[nodiscard]] Measurement measure(const PeerPair& pair, std::string scenario,
                                  SteadyClock::time_point from, SteadyClock::time_point to,
                                  int to_instance);
// One table line for the test's output (WARN), and the attempts that failed.
void report(const Measurement& measurement);

// --- adverts on the wire ------------------------------------------------------------------------
// The payload of the first UDP datagram from `from_ip` to `port` that arrives on eth0 of
// namespace `netns` (a packet socket sees it next to the receiver's socket); nullopt at the
// deadline.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> capture_udp(const std::string& netns,
                                                                   const std::string& from_ip,
                                                                   std::uint16_t port,
                                                                   Deadline deadline);
// Sends `bytes` as one UDP datagram from namespace `netns` to ip:port; false if sendto fails.
[[nodiscard]] bool send_udp(const std::string& netns, const std::string& ip, std::uint16_t port,
                            std::span<const std::uint8_t> bytes);

// Every datagram sent to IPv4 multicast `group`:`port` that a socket of its own in namespace
// `netns` (joined on `local_ip`'s interface, bound to the group) receives for `how_long`. A group
// member's own datagrams reach it only if the sender left multicast loopback on.
[[nodiscard]] std::vector<std::vector<std::uint8_t>> receive_multicast(
    const std::string& netns, const std::string& group, const std::string& local_ip,
    std::uint16_t port, SteadyClock::duration how_long);

// Whether the watcher saw instance i hold the VIP at any sample in [from, to).
[[nodiscard]] bool ever_held(const std::vector<VipWatcher::Sample>& samples, int i,
                             SteadyClock::time_point from, SteadyClock::time_point to);

}  // namespace lb::test::netns
