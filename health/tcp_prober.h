// kind = "tcp": a check succeeds when a connect completes within the timeout. Nothing is sent;
// the connection is closed at once.
#pragma once

#include <uv.h>

#include "health/probe.h"
#include "health/prober.h"

namespace lb::health {

class TcpProbe final : public Probe {
public:
    using Probe::Probe;

private:
    void on_connected() override { succeed("connected"); }
};

class TcpProber final : public Prober {
public:
    explicit TcpProber(uv_loop_t* loop) : loop_(loop) {}

    void start(const CheckTarget& target, DoneCallback on_done) override;
    void cancel() override { slot_.cancel(); }

private:
    uv_loop_t* loop_;
    ProbeSlot slot_;
};

}  // namespace lb::health
