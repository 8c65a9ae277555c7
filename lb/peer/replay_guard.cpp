// Replay protection for adverts: one sequence high-water mark per boot id, and a short memory of
// the boot ids each peer has left behind (replay_guard.h has the rule and its limits).
#include "lb/peer/replay_guard.h"

#include <fmt/format.h>

#include <algorithm>

namespace lb::peer {
namespace {

Admission replayed(std::string detail) {
    return {AdvertError{AdvertReject::Replayed, std::move(detail)}, false};
}

}  // namespace

ReplayGuard::ReplayGuard(const std::vector<std::string>& known_ids) {
    for (const std::string& id : known_ids) peers_.try_emplace(id);
}

Admission ReplayGuard::admit(std::string_view id, std::uint64_t boot_id,
                             std::uint64_t sequence) {
    const auto it = peers_.find(id);
    if (it == peers_.end())
        return {AdvertError{
                    AdvertReject::UnknownId,
                    fmt::format("instance id \"{}\" is not a configured peer", id)},
                false};
    History& peer = it->second;
    if (peer.boot_id == boot_id) {
        if (sequence <= peer.last_sequence)
            return replayed(fmt::format("{}: sequence {} of boot {:016x}, not above {}",
                                        id, sequence, boot_id,
                                        peer.last_sequence));
        peer.last_sequence = sequence;
        return {};
    }
    if (std::find(peer.superseded.begin(), peer.superseded.end(), boot_id) !=
        peer.superseded.end())
        return replayed(fmt::format("{}: boot {:016x} was superseded by {:016x}",
                                    id, boot_id, *peer.boot_id));
    if (peer.boot_id) {
        peer.superseded.push_back(*peer.boot_id);
        if (peer.superseded.size() > kRememberedBoots) peer.superseded.pop_front();
    }
    peer.boot_id = boot_id;
    peer.last_sequence = sequence;
    return {std::nullopt, true};
}

}  // namespace lb::peer
