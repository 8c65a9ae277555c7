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

Admission ReplayGuard::admit(const Advert& advert) {
    const auto it = peers_.find(advert.instance_id);
    if (it == peers_.end())
        return {AdvertError{
                    AdvertReject::UnknownId,
                    fmt::format("instance id \"{}\" is not a configured peer", advert.instance_id)},
                false};
    History& peer = it->second;
    if (peer.boot_id == advert.boot_id) {
        if (advert.sequence <= peer.last_sequence)
            return replayed(fmt::format("{}: sequence {} of boot {:016x}, not above {}",
                                        advert.instance_id, advert.sequence, advert.boot_id,
                                        peer.last_sequence));
        peer.last_sequence = advert.sequence;
        return {};
    }
    if (std::find(peer.superseded.begin(), peer.superseded.end(), advert.boot_id) !=
        peer.superseded.end())
        return replayed(fmt::format("{}: boot {:016x} was superseded by {:016x}",
                                    advert.instance_id, advert.boot_id, *peer.boot_id));
    if (peer.boot_id) {
        peer.superseded.push_back(*peer.boot_id);
        if (peer.superseded.size() > kRememberedBoots) peer.superseded.pop_front();
    }
    peer.boot_id = advert.boot_id;
    peer.last_sequence = advert.sequence;
    return {std::nullopt, true};
}

}  // namespace lb::peer
