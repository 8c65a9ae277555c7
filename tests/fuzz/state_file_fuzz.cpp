// Fuzz target: the state file reader (decode_state), any bytes as state.json. Beyond not
// crashing: the answer is Loaded or Invalid (Missing is for an absent file only); an Invalid
// file says why and falls back to the primary at epoch 0; a decision that loads is valid for the
// sites (a pin is on the active site), and written back by encode_state it reloads to the same
// decision, so a restart never flips sites.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lb/policy/state_file.h"

namespace {

using namespace lb::policy;

// One name with an escape and a non-ASCII letter, so both paths of the string decoder count.
const SiteNames kNames{"site-a", "site \"b\" \xC3\xA9"};
const auto kUpdated = std::chrono::system_clock::time_point(std::chrono::seconds(1795593600));

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const LoadedState loaded = decode_state(text, kNames);
    switch (loaded.status) {
        case LoadStatus::Missing:
            std::abort();
        case LoadStatus::Invalid:
            if (loaded.message.empty() || !(loaded.decision == Decision{})) std::abort();
            return 0;
        case LoadStatus::Loaded:
            break;
    }
    const Decision& decision = loaded.decision;
    if (decision.active >= kSiteCount) std::abort();
    if (decision.pinned && *decision.pinned != decision.active) std::abort();
    const std::string written = encode_state(decision, kNames, kUpdated);
    const LoadedState again = decode_state(written, kNames);
    if (again.status != LoadStatus::Loaded || !(again.decision == decision)) std::abort();
    return 0;
}
