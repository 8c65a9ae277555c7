#include "lb/proxy/forwarder.h"

#include "lb/proxy/copy_forwarder.h"
#include "lb/proxy/splice_forwarder.h"

namespace lb {

std::unique_ptr<Forwarder> make_forwarder(ForwardingStrategy strategy, ForwarderEvents& events,
                                          ForwardingPools pools, uv_tcp_t* client, uv_tcp_t* site) {
    switch (strategy) {
        case ForwardingStrategy::Splice:
            return std::make_unique<SpliceForwarder>(events, pools.pipes, pools.buffers, client,
                                                     site);
        case ForwardingStrategy::Copy:
            break;
    }
    return std::make_unique<CopyForwarder>(events, pools.buffers, client, site);
}

}  // namespace lb
