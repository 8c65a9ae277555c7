// The `track` targets of [peer]: things this instance must reach to be worth the VIP (the router,
// a database both sites use). Each is checked with a TCP connect every advert interval, one at
// a time, with a timeout of three intervals; `kTrackFall` failures in a row make it unreachable,
// `kTrackRise` successes reachable again (health::CheckState counts). Any unreachable target
// puts the instance in FAULT (the driver's concern): `on_verdict` runs on every change of the
// overall verdict. Targets start reachable: not yet checked is no reason to give the VIP up.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/duration.h"
#include "health/check_state.h"
#include "health/tcp_prober.h"
#include "lb/base/result.h"
#include "lb/base/scheduler.h"

namespace lb::peer {

inline constexpr int kTrackFall = 3;
inline constexpr int kTrackRise = 3;

class TrackTargets {
public:
    // `problem` is "" when every target is reachable, else which are not and why:
    // "track tcp://10.0.0.50:27017 unreachable (connect refused)".
    using Verdict = std::function<void(const std::string& problem)>;

    // Each target is "tcp://ADDRESS:PORT" (the config validated it); an invalid one is an error.
    [[nodiscard]] static Result<std::unique_ptr<TrackTargets>> create(
        uv_loop_t* loop, Scheduler& scheduler, const std::vector<std::string>& targets,
        Duration interval, Verdict on_verdict);
    ~TrackTargets();
    TrackTargets(const TrackTargets&) = delete;
    TrackTargets& operator=(const TrackTargets&) = delete;

    // The first checks start at once.
    void start();
    // Cancels the checks in flight; no verdict after this. Idempotent.
    void stop();

    [[nodiscard]] const std::string& problem() const { return problem_; }

private:
    struct Target {
        std::string text;  // as configured
        health::CheckTarget check;
        health::CheckState state{kTrackRise, kTrackFall, health::Health::Up};
        std::string last_failure;
        std::unique_ptr<health::TcpProber> prober;
        bool in_flight = false;
    };

    TrackTargets(uv_loop_t* loop, Scheduler& scheduler, Duration interval, Verdict on_verdict);
    void on_timer();
    void on_result(Target& target, const health::CheckResult& result);
    void judge();

    uv_loop_t* loop_;
    Scheduler& scheduler_;
    Duration interval_;
    Verdict on_verdict_;
    std::vector<std::unique_ptr<Target>> targets_;
    std::unique_ptr<Timer> timer_;
    std::string problem_;
    bool stopped_ = false;
};

}  // namespace lb::peer
