// The narrow interface a driver uses to run one site's active checks, so HealthRunner can be
// tested with fakes: start a check, get exactly one result later, or cancel and get none.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "config/config.h"
#include "health/check_result.h"
#include "health/check_target.h"

namespace lb::health {

class Prober {
public:
    using DoneCallback = std::function<void(CheckResult)>;

    virtual ~Prober() = default;  // cancels the check in flight, if any

    // Starts one check of `target` (copied). `on_done` runs exactly once, from a later loop
    // iteration and never from inside start(), after every handle of the check is closed, unless
    // cancel() (or destruction) comes first. Starting while a check is in flight cancels it.
    virtual void start(const CheckTarget& target, DoneCallback on_done) = 0;
    // Abandons the check in flight, if any: its callback will not run. Idempotent.
    virtual void cancel() = 0;
};

// The prober for `kind` on `loop` (loop thread only): TcpProber, or HttpProber for http/https.
[[nodiscard]] std::unique_ptr<Prober> make_prober(uv_loop_t* loop, config::CheckKind kind);

}  // namespace lb::health
