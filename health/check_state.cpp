// CheckState: the streak counters saturate so a site healthy for years cannot overflow them.
#include "health/check_state.h"

#include <algorithm>
#include <limits>

namespace lb::health {
namespace {

int at_least_one(int n) { return std::max(n, 1); }

void bump(int& counter) {
    if (counter < std::numeric_limits<int>::max()) ++counter;
}

}  // namespace

const char* to_string(Health health) {
    switch (health) {
        case Health::Unknown:
            return "unknown";
        case Health::Up:
            return "up";
        case Health::Down:
            return "down";
    }
    return "unknown";
}

CheckState::CheckState(int rise, int fall, Health initial)
    : rise_(at_least_one(rise)), fall_(at_least_one(fall)), health_(initial) {}

std::optional<Health> CheckState::record(bool ok) {
    if (ok) {
        failures_ = 0;
        bump(successes_);
        if (health_ != Health::Up && successes_ >= rise_) return health_ = Health::Up;
    } else {
        successes_ = 0;
        bump(failures_);
        if (health_ != Health::Down && failures_ >= fall_) return health_ = Health::Down;
    }
    return std::nullopt;
}

std::optional<Health> CheckState::force(Health health) {
    successes_ = 0;
    failures_ = 0;
    if (health_ == health) return std::nullopt;
    return health_ = health;
}

void CheckState::set_thresholds(int rise, int fall) {
    rise_ = at_least_one(rise);
    fall_ = at_least_one(fall);
}

}  // namespace lb::health
