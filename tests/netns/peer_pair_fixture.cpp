// PeerPair: the topology, sites and both lb instances of a peer-pair scenario; measure() and
// report() turn the prober's and the watcher's records into the figures each scenario prints.
#include "tests/netns/peer_pair_fixture.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "tests/support/lb_binary.h"
#include "tests/support/netns_scope.h"
#include "tests/support/runtime_api_client.h"
#include "tests/support/test_sockets.h"

namespace lb::test::netns {
namespace {

std::optional<json::Value> ask_json(const std::filesystem::path& socket, std::string_view command) {
    const auto reply = ask_and_close(socket, std::string(command) + "\n", deadline_in(2s));
    if (!reply) return std::nullopt;
    auto parsed = json::parse(*reply);
    if (!parsed.value) return std::nullopt;
    return std::move(*parsed.value);
}

std::string last_lines(const std::string& text, std::size_t n) {
    std::size_t at = text.size();
    for (std::size_t lines = 0; at > 0 && lines <= n;) {
        --at;
        if (text[at] == '\n') ++lines;
    }
    return text.substr(at);
}

}  // namespace

PeerPair::PeerPair(PairSettings settings) : settings_(std::move(settings)) {
    net_ = std::make_unique<NetnsTopology>(
        std::vector<NetnsTopology::NodeSpec>{
            {"lb1", {1}},
            {"lb2", {2}},
            {"cl", {10}},
            {"st", {kSiteAHost, kSiteBHost}},
            {"arb", {kArbiterHost}}},
        0, settings_.ipv6_vip);
    key_file_ = key_dir_.path() / "peer.key";
    write_file(key_file_, "netns-test-key-" + std::to_string(::getpid()) + "\n");
    std::filesystem::permissions(
        key_file_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    start_site('a');
    start_site('b');
    if (settings_.arbiter) start_arbiter();
    if (settings_.track_port != 0)
        tracked_ = std::make_unique<ReplyServer>(ReplyServer::Options{
            net_->netns("st"), net_->address(kSiteAHost), settings_.track_port, "tracked", false});
    for (int i = 0; i < 2; ++i)
        workspaces_[static_cast<std::size_t>(i)] =
            std::make_unique<LbWorkspace>(std::string("lb-netns-") + name(i));

    // lb1 first, so it is MASTER by the time lb2 starts: every scenario begins the same way.
    start(0);
    const bool lb1_master = wait_until([&] { return role(0) == "master"; }, deadline_in(5s));
    INFO(describe());
    REQUIRE(lb1_master);
    start(1);
    watcher_ = std::make_unique<VipWatcher>(
        VipWatcher::Options{{net_->netns("lb1"), net_->netns("lb2")}, vip()});
    // Settled, and each has heard the other: a pair whose adverts never arrive would look
    // settled until lb2's master-down timer ran out.
    const auto heard_each_other = [&] {
        for (int i = 0; i < 2; ++i) {
            const auto view = peer(i);
            if (!view || (*view)["peer_role"].string() != (i == 0 ? "backup" : "master"))
                return false;
        }
        return true;
    };
    const bool pair_settled = wait_until(
        [&] { return settled(0) && heard_each_other(); }, deadline_in(5s), 10ms);
    INFO(describe());
    REQUIRE(pair_settled);
    prober_ =
        std::make_unique<ClientProber>(ClientProber::Options{net_->netns("cl"), vip(), kVipPort});
    const bool served = wait_serving(SteadyClock::now(), deadline_in(5s));
    INFO(describe());
    REQUIRE(served);
}

PeerPair::~PeerPair() {
    if (prober_) prober_->stop();
    for (auto& lb : lbs_)
        if (lb && lb->running()) (void)lb->stop(SIGINT, deadline_in(10s));
}

std::string PeerPair::vip() const {
    return settings_.ipv6_vip ? net_->address6(kVipHost) : net_->address(kVipHost);
}

LbConfig PeerPair::config(int i) const {
    const int other = 1 - i;
    LbConfig config;
    config.health_interval = settings_.health_interval;
    config.health_timeout = "50ms";
    config.drain_timeout = "1s";
    config.sites = {{"site-a", net_->address(kSiteAHost), "primary"},
                    {"site-b", net_->address(kSiteBHost), "standby"}};
    const std::string listen = settings_.ipv6_vip ? "[" + vip() + "]" : vip();
    config.listeners = {{"web", listen + ":" + std::to_string(kVipPort), kSitePort}};
    // An IPv6 group ("ff02::12"): adverts over IPv6, bound to fd00:99::HOST.
    const bool v6_adverts = settings_.multicast_group.find(':') != std::string::npos;
    const std::string bind = v6_adverts ? "[" + net_->address6(i + 1) + "]" : net_->ip(name(i));
    const std::string peers =
        settings_.multicast_group.empty()
            ? net_->ip(name(other)) + ":" + std::to_string(kPeerPort)
            : (v6_adverts ? "[" + settings_.multicast_group + "]" : settings_.multicast_group) +
                  ":" + std::to_string(kPeerPort);
    config.extra_toml = fmt::format(
        "[peer]\nid = \"{}\"\npeer_id = \"{}\"\npriority = {}\nbind = \"{}:{}\"\n"
        "peers = [\"{}\"]\nadvert_interval = {}\npreempt = {}\nkey_file = {}\n"
        "vip = \"{}/{}\"\ninterface = \"eth0\"\n",
        name(i), name(other), settings_.priority[static_cast<std::size_t>(i)], bind, kPeerPort,
        peers, toml_string(settings_.advert_interval), settings_.preempt ? "true" : "false",
        toml_string(key_file_.string()), vip(),
        settings_.ipv6_vip ? net_->prefix_length6() : net_->prefix_length());
    if (settings_.track_port != 0)
        config.extra_toml += "track = [" + toml_string(track_target()) + "]\n";
    if (settings_.arbiter)
        config.extra_toml +=
            fmt::format("arbiter = \"{}:{}\"\n", net_->address(kArbiterHost), kArbiterPort);
    return config;
}

void PeerPair::start_arbiter() {
    const auto file = arbiter_dir_.path() / "arbiter.toml";
    write_file(file, fmt::format("[arbiter]\nbind = \"{}:{}\"\nkey_file = {}\n"
                                 "members = [\"lb1\", \"lb2\"]\nlease = \"300ms\"\n"
                                 "state_file = {}\n[admin]\nsocket = {}\n[metrics]\nlisten = \"\"\n",
                                 net_->address(kArbiterHost), kArbiterPort,
                                 toml_string(key_file_.string()),
                                 toml_string((arbiter_dir_.path() / "state.json").string()),
                                 toml_string((arbiter_dir_.path() / "arbiter.sock").string())));
    arbiter_.reset();
    arbiter_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{lb_binary(), "arbiter", "-c", file.string()},
        arbiter_dir_.path() / "arbiter.log", arbiter_dir_.path() / "arbiter.log",
        net_->spawn_options("arb"));
    const bool ready = wait_until(
        [&] { return arbiter_log().find("ready: arbiter") != std::string::npos; },
        deadline_in(10s));
    INFO(arbiter_log());
    REQUIRE(ready);
}

void PeerPair::kill_arbiter() {
    REQUIRE(arbiter_);
    (void)arbiter_->stop(SIGKILL, deadline_in(5s));
    arbiter_.reset();
}

std::string PeerPair::arbiter_log() const {
    return read_file(arbiter_dir_.path() / "arbiter.log");
}

std::string PeerPair::track_target() const {
    return fmt::format("tcp://{}:{}", net_->address(kSiteAHost), settings_.track_port);
}

bool PeerPair::running(int i) const {
    const auto& lb = lbs_.at(static_cast<std::size_t>(i));
    return lb && lb->running();
}

LbProcess& PeerPair::lb(int i) {
    auto& lb = lbs_.at(static_cast<std::size_t>(i));
    REQUIRE(lb);
    return *lb;
}

void PeerPair::start(int i) {
    LbWorkspace& ws = workspace(i);
    ws.write_config(config(i));
    auto& slot = lbs_.at(static_cast<std::size_t>(i));
    slot.reset();
    slot = std::make_unique<LbProcess>(ws, net_->spawn_options(name(i)));
    const bool ready = slot->wait_ready(deadline_in(10s));
    INFO(name(i) << " config:\n" << slot->config_text() << "\nlog:\n" << slot->log_text());
    REQUIRE(ready);
}

void PeerPair::kill(int i) {
    auto& slot = lbs_.at(static_cast<std::size_t>(i));
    REQUIRE(slot);
    const StopResult stopped = slot->stop(SIGKILL, deadline_in(5s));
    CHECK(stopped.signal == SIGKILL);
}

StopResult PeerPair::terminate(int i) { return lb(i).terminate(); }

std::optional<json::Value> PeerPair::peer(int i) const {
    auto reply =
        ask_json(workspaces_.at(static_cast<std::size_t>(i))->admin_socket(), "show peer json");
    if (!reply || !(*reply)["peer"].is_object()) return std::nullopt;
    return (*reply)["peer"];
}

std::optional<json::Value> PeerPair::status(int i) const {
    return ask_json(workspaces_.at(static_cast<std::size_t>(i))->admin_socket(),
                    "show status json");
}

std::string PeerPair::role(int i) const {
    if (!running(i)) return "";
    const auto p = peer(i);
    return p ? (*p)["role"].string() : "";
}

std::uint64_t PeerPair::rejected(int i, const std::string& reason) const {
    const auto p = peer(i);
    if (!p) return 0;
    return static_cast<std::uint64_t>((*p)["adverts_rejected"][reason].number());
}

ProgramResult PeerPair::ctl(int i, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{
        lb_binary(), "ctl", "-s",
        workspaces_.at(static_cast<std::size_t>(i))->admin_socket().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, deadline_in(10s));
}

bool PeerPair::reaches_a_site(int i) const {
    const auto view = status(i);
    if (!view) return false;
    for (const auto& site : (*view)["sites"].items())
        if (site["health"].string() == "up") return true;
    return false;
}

bool PeerPair::settled(int master) const {
    const int other = 1 - master;
    const auto mine = peer(master);
    if (!mine || (*mine)["role"].string() != "master" || !(*mine)["vip_held"].boolean())
        return false;
    const VipWatcher::Holders holders = watcher_ ? watcher_->holders() : 0;
    if (watcher_ && !(holders & bit(master))) return false;
    if (!running(other)) return true;
    const auto theirs = peer(other);
    if (!theirs || (*theirs)["role"].string() != "backup" || (*theirs)["vip_held"].boolean())
        return false;
    return !watcher_ || !(holders & bit(other));
}

bool PeerPair::wait_settled(int master, Deadline deadline) const {
    return wait_until([&] { return settled(master); }, deadline, 10ms);
}

bool PeerPair::serving(SteadyClock::time_point since, std::size_t n) const {
    const auto attempts = prober_->attempts_since(since);
    if (attempts.size() < n) return false;
    for (std::size_t i = attempts.size() - n; i < attempts.size(); ++i)
        if (!attempts[i].ok()) return false;
    return true;
}

bool PeerPair::wait_serving(SteadyClock::time_point since, Deadline deadline, std::size_t n) const {
    return wait_until([&] { return serving(since, n); }, deadline, 10ms);
}

void PeerPair::stop_site(char site) {
    auto& slot = sites_.at(site == 'a' ? 0 : 1);
    if (slot) slot->stop();
    slot.reset();
}

void PeerPair::start_site(char site) {
    auto& slot = sites_.at(site == 'a' ? 0 : 1);
    slot.reset();
    slot = std::make_unique<ReplyServer>(ReplyServer::Options{
        net_->netns("st"), net_->address(site == 'a' ? kSiteAHost : kSiteBHost), kSitePort,
        site == 'a' ? "site-a" : "site-b", false});
}

std::string PeerPair::describe() const {
    std::string out;
    for (int i = 0; i < 2; ++i) {
        const auto& lb = lbs_.at(static_cast<std::size_t>(i));
        out += fmt::format("--- {} ({}), role '{}', addresses: {}", name(i),
                           lb ? (running(i) ? "running" : "exited") : "not started", role(i),
                           net_->describe_addresses(name(i)));
        if (lb) out += "log (last lines):\n" + last_lines(lb->log_text(), 25);
    }
    if (watcher_) out += fmt::format("--- VIP holders now: {}\n", watcher_->holders());
    return out;
}

bool stays(const std::function<bool()>& pred, SteadyClock::duration how_long) {
    const auto until = SteadyClock::now() + how_long;
    while (SteadyClock::now() < until) {
        if (!pred()) return false;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

Measurement measure(const PeerPair& pair, std::string scenario, SteadyClock::time_point from,
                    SteadyClock::time_point to, int to_instance) {
    Measurement out;
    out.scenario = std::move(scenario);
    // Attempts end at their timeout at the latest: wait for those started before `to`.
    CHECK(wait_until([&] { return pair.prober().ended_before(to); }, deadline_in(3s)));
    const auto attempts = pair.prober().attempts();
    out.probe = summarize(attempts, from, to);
    std::size_t listed = 0;
    for (const ProbeAttempt& attempt : attempts) {
        if (attempt.start < from || attempt.start >= to || attempt.ok()) continue;
        if (++listed > 40) break;
        out.failures += fmt::format(
            " +{}{}",
            std::chrono::duration_cast<std::chrono::milliseconds>(attempt.start - from).count(),
            to_string(attempt.outcome).substr(0, 1));
    }
    const auto samples = pair.watcher().samples();
    out.vip = summarize(samples, from, to);
    for (const auto& sample : samples)
        if (sample.at >= from && sample.at < to && (sample.holders & PeerPair::bit(to_instance))) {
            out.vip_moved_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(sample.at - from).count();
            break;
        }
    return out;
}

void report(const Measurement& m) {
    WARN(fmt::format("| {} | failed connects {} of {} | takeover gap {} ms | both held {} ms | "
                     "nobody held {} ms | VIP moved after {} ms |",
                     m.scenario, m.probe.failed, m.probe.total, m.probe.gap_ms, m.vip.both_ms,
                     m.vip.none_ms, m.vip_moved_ms)
         << "\n  " << describe(m.probe)
         << (m.failures.empty()
                 ? ""
                 : "\n  failed attempts (ms after the event, outcome):" + m.failures));
}

std::optional<std::vector<std::uint8_t>> capture_udp(const std::string& netns,
                                                     const std::string& from_ip, std::uint16_t port,
                                                     Deadline deadline) {
    Fd fd;
    {
        const NetnsScope scope(netns);
        fd.reset(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP)));
        REQUIRE(fd.valid());
        sockaddr_ll where{};
        where.sll_family = AF_PACKET;
        where.sll_protocol = htons(ETH_P_IP);
        where.sll_ifindex = static_cast<int>(::if_nametoindex("eth0"));
        REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&where), sizeof where) == 0);
    }
    in_addr source{};
    REQUIRE(::inet_pton(AF_INET, from_ip.c_str(), &source) == 1);
    std::array<std::uint8_t, 2048> packet{};
    while (!expired(deadline)) {
        pollfd ready{fd.get(), POLLIN, 0};
        if (::poll(&ready, 1, 50) != 1) continue;
        const ssize_t n = ::recv(fd.get(), packet.data(), packet.size(), 0);
        if (n < static_cast<ssize_t>(sizeof(iphdr) + sizeof(udphdr))) continue;
        iphdr ip{};
        std::memcpy(&ip, packet.data(), sizeof ip);
        const std::size_t header = std::size_t{ip.ihl} * 4;
        if (ip.protocol != IPPROTO_UDP || ip.saddr != source.s_addr ||
            static_cast<std::size_t>(n) < header + sizeof(udphdr))
            continue;
        udphdr udp{};
        std::memcpy(&udp, packet.data() + header, sizeof udp);
        if (ntohs(udp.dest) != port) continue;
        const std::size_t length =
            std::min<std::size_t>(ntohs(udp.len), static_cast<std::size_t>(n) - header);
        if (length < sizeof(udphdr)) continue;
        const auto* payload = packet.data() + header + sizeof(udphdr);
        return std::vector<std::uint8_t>(payload, payload + (length - sizeof(udphdr)));
    }
    return std::nullopt;
}

bool send_udp(const std::string& netns, const std::string& ip, std::uint16_t port,
              std::span<const std::uint8_t> bytes) {
    Fd fd;
    {
        const NetnsScope scope(netns);
        fd.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    }
    if (!fd.valid()) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &to.sin_addr) != 1) return false;
    return ::sendto(fd.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                    sizeof to) == static_cast<ssize_t>(bytes.size());
}

std::vector<std::vector<std::uint8_t>> receive_multicast(const std::string& netns,
                                                         const std::string& group,
                                                         const std::string& local_ip,
                                                         std::uint16_t port,
                                                         SteadyClock::duration how_long) {
    Fd fd;
    {
        const NetnsScope scope(netns);
        fd.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    }
    REQUIRE(fd.valid());
    const int on = 1;
    REQUIRE(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    REQUIRE(::inet_pton(AF_INET, group.c_str(), &where.sin_addr) == 1);
    REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&where), sizeof where) == 0);
    ip_mreq join{};
    join.imr_multiaddr = where.sin_addr;
    REQUIRE(::inet_pton(AF_INET, local_ip.c_str(), &join.imr_interface) == 1);
    REQUIRE(::setsockopt(fd.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join) == 0);
    std::vector<std::vector<std::uint8_t>> out;
    std::array<std::uint8_t, 2048> datagram{};
    const auto until = SteadyClock::now() + how_long;
    for (auto now = SteadyClock::now(); now < until; now = SteadyClock::now()) {
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
        pollfd ready{fd.get(), POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(wait)) != 1) continue;
        const ssize_t n = ::recv(fd.get(), datagram.data(), datagram.size(), 0);
        if (n > 0) out.emplace_back(datagram.data(), datagram.data() + n);
    }
    return out;
}

bool ever_held(const std::vector<VipWatcher::Sample>& samples, int i, SteadyClock::time_point from,
               SteadyClock::time_point to) {
    for (const auto& sample : samples)
        if (sample.at >= from && sample.at < to && (sample.holders & PeerPair::bit(i))) return true;
    return false;
}

}  // namespace lb::test::netns
