#include "lb/arbiter/lease_table.h"

#include <algorithm>

namespace lb::arbiter {

LeaseTable::LeaseTable(std::vector<std::string> members, Duration lease)
    : members_(std::move(members)), lease_(lease) {}

LeaseAnswer LeaseTable::acquire(std::string_view member_id, TimePoint now) {
    if (!member(member_id))
        return {peer::LeaseVerdict::Refused, holder(now).value_or(""), remaining(now)};
    if (now < hold_off_until_) return {peer::LeaseVerdict::Refused, "", hold_off_until_ - now};
    const std::optional<std::string> current = holder(now);
    if (current && *current != member_id)
        return {peer::LeaseVerdict::Refused, *current, remaining(now)};
    holder_ = std::string(member_id);
    expiry_ = now + lease_;
    return {peer::LeaseVerdict::Granted, holder_, lease_};
}

LeaseAnswer LeaseTable::release(std::string_view member_id, TimePoint now) {
    if (holder(now) == member_id) holder_.clear();
    return {peer::LeaseVerdict::Released, holder(now).value_or(""), remaining(now)};
}

bool LeaseTable::offer(const peer::AdvertPolicy& policy) {
    if (newest_ && policy.epoch <= newest_->epoch) return false;
    newest_ = policy;
    return true;
}

std::optional<std::string> LeaseTable::holder(TimePoint now) const {
    if (holder_.empty() || now >= expiry_) return std::nullopt;
    return holder_;
}

Duration LeaseTable::remaining(TimePoint now) const {
    return holder(now) ? expiry_ - now : Duration(0);
}

bool LeaseTable::member(std::string_view id) const {
    return std::find(members_.begin(), members_.end(), id) != members_.end();
}

}  // namespace lb::arbiter
