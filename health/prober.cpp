// The factory is the one place that maps a CheckKind to a Prober implementation.
#include "health/prober.h"

#include "health/http_prober.h"
#include "health/tcp_prober.h"

namespace lb::health {

std::unique_ptr<Prober> make_prober(uv_loop_t* loop, config::CheckKind kind) {
    if (kind == config::CheckKind::Tcp) return std::make_unique<TcpProber>(loop);
    return std::make_unique<HttpProber>(loop);
}

}  // namespace lb::health
