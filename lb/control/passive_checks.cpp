#include "lb/control/passive_checks.h"

#include <string>

namespace lb {

health::CheckCause check_cause(Termination::Cause cause) {
    switch (cause) {
        case Termination::Cause::ConnectRefused:
            return health::CheckCause::ConnectRefused;
        case Termination::Cause::ConnectTimeout:
            return health::CheckCause::ConnectTimeout;
        default:
            return health::CheckCause::ConnectError;
    }
}

void PassiveChecks::on_connect_failed(std::size_t site, const Termination& why) noexcept {
    const health::CheckCause cause = check_cause(why.cause);
    const std::string_view words = describe(why);
    main_loop_.post([this, site, cause, reason = std::string(words)]() mutable {
        if (runner_ == nullptr) return;
        const std::uint64_t succeeded =
            site < connected_.size() ? connected_[site].load(std::memory_order_relaxed) : 0;
        runner_->record_passive_failure(site, cause, std::move(reason), succeeded);
    });
}

void PassiveChecks::on_connected(std::size_t site) noexcept {
    if (site < connected_.size()) connected_[site].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace lb
