#include "lb/peer/lease_client.h"

#include <algorithm>

namespace lb::peer {

LeaseClient::LeaseClient(std::string id, std::uint64_t boot_id, Duration lease,
                         Duration renew_every)
    : id_(std::move(id)), boot_id_(boot_id), lease_(lease), renew_every_(renew_every) {}

std::optional<LeaseRequest> LeaseClient::want(bool wanted, const AdvertPolicy& policy,
                                              TimePoint now) {
    if (wanted == wanted_) return std::nullopt;
    wanted_ = wanted;
    if (wanted) {
        next_request_ = now;  // at the next tick(), which the caller runs at next_deadline()
        return std::nullopt;
    }
    valid_until_.reset();
    in_flight_.clear();  // a late grant for an acquire sent before the release holds nothing
    return request(LeaseKind::Release, policy, now);
}

std::optional<LeaseRequest> LeaseClient::renew_now(const AdvertPolicy& policy,
                                                   TimePoint now) {
    if (!wanted_) return std::nullopt;
    next_request_ = now;
    return tick(policy, now);
}

std::optional<LeaseRequest> LeaseClient::tick(const AdvertPolicy& policy, TimePoint now) {
    forget_old(now);
    if (valid_until_ && now >= *valid_until_) valid_until_.reset();  // over: no deadline for it
    if (!wanted_ || now < next_request_) return std::nullopt;
    next_request_ = now + renew_every_;
    return request(LeaseKind::Acquire, policy, now);
}

std::optional<TimePoint> LeaseClient::next_deadline() const {
    if (!wanted_) return std::nullopt;
    // The lease's end is a deadline of its own: the caller must let go exactly then.
    if (!valid_until_) return next_request_;
    return std::min(next_request_, *valid_until_);
}

LeaseUpdate LeaseClient::on_reply(const LeaseReply& reply, TimePoint now) {
    forget_old(now);
    LeaseUpdate update;
    const auto sent = in_flight_.find(reply.request_sequence);
    if (reply.instance_id != id_ || reply.request_boot_id != boot_id_ || sent == in_flight_.end()) {
        update.stale = true;
        return update;
    }
    const TimePoint sent_at = sent->second;
    in_flight_.erase(sent);
    last_reply_at_ = now;
    update.newest = reply.newest;
    const bool before = held(now);
    switch (reply.verdict) {
        case LeaseVerdict::Granted:
            if (wanted_) {
                // A quarter of the lease less: this view must end before the arbiter's even when
                // this loop's timer fires late or the VIP takes a moment to go.
                const TimePoint until =
                    sent_at + reply.lease - std::max(Duration(1), reply.lease / 4);
                valid_until_ = valid_until_ ? std::max(*valid_until_, until) : until;
                refused_by_.clear();
                // The arbiter's own length rules: renew at least three times per grant, so
                // two lost requests cost nothing, and judge staleness by the longer of the two.
                const Duration renew = std::max(Duration(1), reply.lease / 3);
                if (renew < renew_every_) {
                    renew_every_ = renew;
                    next_request_ = std::min(next_request_, sent_at + renew_every_);
                }
                lease_ = std::max(lease_, reply.lease);
            }
            break;
        case LeaseVerdict::Refused:
            refused_by_ = reply.holder;
            // Someone else held it after the request was sent: this view cannot outlast that.
            // Refused with nobody named, the arbiter has just restarted and grants nothing for
            // a lease: a grant this instance holds (from before the restart) still ends first.
            if (valid_until_ && !reply.holder.empty())
                valid_until_ = std::min(*valid_until_, sent_at);
            break;
        case LeaseVerdict::Released:
            break;
    }
    const bool after = held(now);
    update.gained = after && !before;
    update.lost = before && !after;
    return update;
}

LeaseRequest LeaseClient::request(LeaseKind kind, const AdvertPolicy& policy, TimePoint now) {
    LeaseRequest out{id_, kind, policy, boot_id_, ++sequence_};
    if (kind == LeaseKind::Acquire) in_flight_[out.sequence] = now;
    return out;
}

void LeaseClient::forget_old(TimePoint now) {
    // A reply to a request sent a lease ago or more could only grant a lease already over.
    std::erase_if(in_flight_, [&](const auto& entry) { return now - entry.second >= lease_; });
}

}  // namespace lb::peer
