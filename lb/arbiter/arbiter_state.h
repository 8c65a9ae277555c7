// The newest policy decision the arbiter has seen, on disk, so that an instance restarting after
// both were down learns it even if the arbiter restarted too:
// {"active":"site-b","pinned":false,"epoch":7}. Replaced atomically (a temporary file, fsync,
// rename); a missing file is no decision yet, a corrupt one is reported and ignored.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "lb/base/result.h"
#include "lb/peer/advert.h"

namespace lb::arbiter {

struct LoadedDecision {
    std::optional<peer::AdvertPolicy> decision;
    std::string problem;  // set when the file exists but cannot be used
};

[[nodiscard]] LoadedDecision load_decision(const std::filesystem::path& file);
[[nodiscard]] Result<Ok> save_decision(const std::filesystem::path& file,
                                       const peer::AdvertPolicy& decision);

}  // namespace lb::arbiter
