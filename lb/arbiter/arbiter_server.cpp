#include "lb/arbiter/arbiter_server.h"

#include <fmt/format.h>

#include "lb/arbiter/arbiter_state.h"
#include "lb/base/logger.h"
#include "lb/peer/lease_message.h"

namespace lb::arbiter {

ArbiterServer::ArbiterServer(uv_loop_t* loop, Scheduler& scheduler, config::ArbiterConfig config)
    : loop_(loop),
      scheduler_(scheduler),
      config_(std::move(config)),
      table_(config_.members, config_.lease),
      guard_(config_.members) {}

Result<Ok> ArbiterServer::start() {
    auto key = peer::AdvertKey::load(config_.key_file);
    if (!key.ok()) return Error{key.error()};
    key_ = std::move(key.value());
    const LoadedDecision loaded = load_decision(config_.state_file);
    if (!loaded.problem.empty()) log::warning("{}; starting without a known decision", loaded.problem);
    if (loaded.decision) {
        (void)table_.offer(*loaded.decision);
        log::info("arbiter: newest decision from {}: active {}{}, epoch {}", config_.state_file,
                  loaded.decision->active_site, loaded.decision->pinned ? " (pinned)" : "",
                  loaded.decision->epoch);
    }
    boot_id_ = peer::random_boot_id();
    // Restarted, the arbiter does not know who held the lease: a holder may still count on it
    // for up to one lease, so nobody is granted it before then.
    uv_update_time(loop_);
    table_.hold_off(scheduler_.now());
    transport_ = std::make_unique<peer::AdvertTransport>(
        loop_, [this](std::span<const std::uint8_t> bytes, bool truncated,
                      const SocketAddress& from) { on_datagram(bytes, truncated, from); });
    if (auto bound = transport_->start(config_.bind, {}); !bound.ok()) return bound;
    log::info("arbiter: on {} for {} and {}, lease {} ms", config_.bind.to_string(),
              config_.members.at(0), config_.members.at(1), config_.lease.count());
    return Ok{};
}

void ArbiterServer::stop() {
    if (transport_) transport_->stop();
}

ArbiterStatus ArbiterServer::status() const {
    ArbiterStatus out = counters_;
    const TimePoint now = scheduler_.now();
    out.bind = config_.bind.to_string();
    out.lease = config_.lease;
    out.holder = table_.holder(now);
    out.remaining = table_.remaining(now);
    out.hold_off_remaining = table_.hold_off_remaining(now);
    out.newest = table_.newest();
    for (const std::string& id : config_.members) {
        MemberStatus member;
        member.id = id;
        if (const auto it = heard_.find(id); it != heard_.end()) {
            member.requests = it->second.requests;
            member.last_heard_ms = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.at)
                    .count());
            member.last_address = it->second.address;
            member.last_verdict = it->second.verdict;
        }
        out.members.push_back(std::move(member));
    }
    return out;
}

void ArbiterServer::save_newest() {
    const std::optional<peer::AdvertPolicy>& newest = table_.newest();
    if (!newest) return;
    const auto saved = save_decision(config_.state_file, *newest);
    switch (save_.on_saved(saved.ok())) {
        case SaveTracker::Report::Failing:
            log::error("{}; the decision is kept in memory and written at the next request that "
                       "finds the disk writable (a restart before then starts from the file's "
                       "older decision)",
                       saved.error());
            break;
        case SaveTracker::Report::Recovered:
            log::info("arbiter state file {} written again: {}, epoch {}",
                      config_.state_file, newest->active_site, newest->epoch);
            break;
        case SaveTracker::Report::Nothing:
            break;
    }
}

void ArbiterServer::on_datagram(std::span<const std::uint8_t> bytes, bool truncated,
                                const SocketAddress& from) {
    if (truncated) return reject(peer::AdvertReject::Oversized, "truncated datagram", from);
    const auto decoded = peer::decode_lease_request(bytes, *key_);
    if (!decoded.ok()) return reject(decoded.error().reason, decoded.error().detail, from);
    const peer::LeaseRequest& request = decoded.value();
    const peer::Admission admission =
        guard_.admit(request.instance_id, request.boot_id, request.sequence);
    if (!admission.admitted())
        return reject(admission.rejected->reason, admission.rejected->detail, from);
    ++counters_.requests;
    if (table_.offer(request.policy)) save_.on_change();
    if (save_.pending()) save_newest();
    // A grant runs from the arbiter's receipt, which is no earlier than the instance's send:
    // the loop's cached time lags by whatever this iteration did (the fsync above, other
    // datagrams), so read the clock afresh.
    uv_update_time(loop_);
    const TimePoint now = scheduler_.now();
    const LeaseAnswer answer = request.kind == peer::LeaseKind::Acquire
                                   ? table_.acquire(request.instance_id, now)
                                   : table_.release(request.instance_id, now);
    Heard& heard = heard_[request.instance_id];
    heard.at = now;
    heard.address = from.to_string();
    ++heard.requests;
    switch (answer.verdict) {
        case peer::LeaseVerdict::Granted:
            ++counters_.granted;
            heard.verdict = "granted";
            break;
        case peer::LeaseVerdict::Refused:
            ++counters_.refused;
            heard.verdict = "refused";
            break;
        case peer::LeaseVerdict::Released:
            ++counters_.released;
            heard.verdict = "released";
            break;
    }
    const std::optional<std::string> holder = table_.holder(now);
    if (holder != last_holder_) {
        ++counters_.holder_changes;
        log::event(log::Level::Warning, "arbiter_lease",
                   fmt::format("arbiter: lease {} -> {}", last_holder_.value_or("nobody"),
                               holder.value_or("nobody")),
                   {{"from", last_holder_.value_or("")}, {"to", holder.value_or("")}});
        last_holder_ = holder;
    }
    peer::LeaseReply reply{request.instance_id, answer.verdict,  answer.holder,
                           answer.lease,        table_.newest(), boot_id_,
                           ++sequence_,         request.boot_id, request.sequence};
    (void)transport_->send_to(peer::encode(reply, *key_), from);
}

void ArbiterServer::reject(peer::AdvertReject reason, std::string_view detail,
                           const SocketAddress& from) {
    ++counters_.rejected[std::string(peer::to_string(reason))];
    const TimePoint now = scheduler_.now();
    if (now - last_reject_log_ < std::chrono::seconds(10)) return;  // no flood from a flood
    last_reject_log_ = now;
    log::warning("arbiter: request from {} dropped ({}): {}", from.to_string(),
                 peer::to_string(reason), detail);
}

}  // namespace lb::arbiter
