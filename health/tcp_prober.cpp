// TcpProber: a connect is the whole check.
#include "health/tcp_prober.h"

namespace lb::health {

void TcpProber::start(const CheckTarget& target, DoneCallback on_done) {
    slot_.start(std::make_unique<TcpProbe>(loop_, target), std::move(on_done));
}

}  // namespace lb::health
