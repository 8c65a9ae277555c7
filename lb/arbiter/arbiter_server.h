// `lb arbiter` at work: one UDP socket on [arbiter] bind; every lease request is decoded and
// authenticated (the pair's key), checked for freshness (ReplayGuard over the two members), put
// to the LeaseTable, and answered to its source with the verdict and the newest decision, which
// is kept in the state file whenever it changes. A datagram that fails a check is dropped and
// counted by reason, like a bad advert.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/arbiter_config.h"
#include "lb/arbiter/arbiter_status.h"
#include "lb/arbiter/lease_table.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"
#include "lb/peer/advert_auth.h"
#include "lb/peer/advert_transport.h"
#include "lb/peer/replay_guard.h"
#include "lb/base/save_tracker.h"

namespace lb::arbiter {

class ArbiterServer {
public:
    ArbiterServer(uv_loop_t* loop, Scheduler& scheduler, config::ArbiterConfig config);

    // Loads the key and the state file, binds. The error is one line for the operator.
    [[nodiscard]] Result<Ok> start();
    void stop();

    [[nodiscard]] ArbiterStatus status() const;

private:
    // Writes the newest decision to the state file; see save_.
    void save_newest();
    void on_datagram(std::span<const std::uint8_t> bytes, bool truncated,
                     const SocketAddress& from);
    void reject(peer::AdvertReject reason, std::string_view detail, const SocketAddress& from);

    uv_loop_t* loop_;
    Scheduler& scheduler_;
    config::ArbiterConfig config_;
    LeaseTable table_;
    std::optional<peer::AdvertKey> key_;
    std::unique_ptr<peer::AdvertTransport> transport_;
    peer::ReplayGuard guard_;
    std::uint64_t boot_id_ = 0;
    std::uint64_t sequence_ = 0;
    struct Heard {
        TimePoint at{};
        std::string address;
        std::string verdict;
        std::uint64_t requests = 0;
    };
    std::map<std::string, Heard> heard_;      // by member id
    std::optional<std::string> last_holder_;  // for one log line per change of holder
    ArbiterStatus counters_;
    // The state file may lag the newest decision (a disk that refused the write): every request
    // retries it until it is written, and the outage is logged once each way.
    SaveTracker save_;
    TimePoint last_reject_log_{};
};

}  // namespace lb::arbiter
