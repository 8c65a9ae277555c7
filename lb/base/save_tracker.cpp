#include "lb/base/save_tracker.h"

#include <utility>

namespace lb {

SaveTracker::Report SaveTracker::on_saved(bool ok) {
    if (ok) {
        pending_ = false;
        return std::exchange(failing_, false) ? Report::Recovered : Report::Nothing;
    }
    pending_ = true;
    return std::exchange(failing_, true) ? Report::Nothing : Report::Failing;
}

}  // namespace lb
