#include "health/passive_streak.h"

#include <algorithm>
#include <limits>

namespace lb::health {

PassiveStreak::PassiveStreak(int fall, Duration window)
    : fall_(std::max(fall, 1)), window_(std::max(window, Duration{0})) {}

bool PassiveStreak::failed(TimePoint now, std::uint64_t connects_succeeded) {
    if (connects_succeeded != successes_seen_) {
        successes_seen_ = connects_succeeded;
        reset();
    }
    if (!since_) since_ = now;
    if (failures_ < std::numeric_limits<int>::max()) ++failures_;
    return failures_ >= fall_ && now - *since_ >= window_;
}

void PassiveStreak::reset() {
    failures_ = 0;
    since_.reset();
}

void PassiveStreak::reconfigure(int fall, Duration window) {
    fall_ = std::max(fall, 1);
    window_ = std::max(window, Duration{0});
}

}  // namespace lb::health
