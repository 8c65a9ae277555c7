// The copy strategy: two Pipes, client → site and site → client, each reading into a buffer
// leased from the worker's BufferPool only while bytes are in flight and writing it out before
// reading more. Used when splicing is off (`global.splice = false`).
#pragma once

#include <uv.h>

#include "lb/proxy/forwarder.h"
#include "lb/proxy/pipe.h"

namespace lb {

class CopyForwarder final : public Forwarder, private PipeEvents {
public:
    CopyForwarder(ForwarderEvents& events, BufferPool& buffers, uv_tcp_t* client, uv_tcp_t* site);
    CopyForwarder(const CopyForwarder&) = delete;
    CopyForwarder& operator=(const CopyForwarder&) = delete;

    [[nodiscard]] std::optional<ForwardFailure> start() noexcept override;
    void stop() noexcept override;
    [[nodiscard]] std::uint64_t bytes_to_site() const noexcept override {
        return upstream_.bytes();
    }
    [[nodiscard]] std::uint64_t bytes_to_client() const noexcept override {
        return downstream_.bytes();
    }

private:
    void on_pipe_progress(Pipe& pipe) noexcept override;
    void on_pipe_finished(Pipe& pipe) noexcept override;
    void on_pipe_failed(Pipe& pipe, End end, int status) noexcept override;

    ForwarderEvents& events_;
    Pipe upstream_;    // client → site
    Pipe downstream_;  // site → client
};

}  // namespace lb
