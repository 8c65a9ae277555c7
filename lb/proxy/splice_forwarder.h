// The zero-copy strategy: both directions as SpliceChannels, driven by one uv_poll_t per socket
// (libuv has no splice). The sockets stay owned by the session's uv_tcp_t handles, which do not
// read or write while this runs; stop() closes the polls before the session closes the sockets.
#pragma once

#include <uv.h>

#include <cstdint>

#include "lb/base/uv_handle.h"
#include "lb/proxy/forwarder.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/splice_channel.h"

namespace lb {

class SpliceForwarder final : public Forwarder {
public:
    // `buffers`: what a direction moves bytes through while no kernel pipe can be had (out of
    // fds).
    SpliceForwarder(ForwarderEvents& events, KernelPipePool& pipes, BufferPool& buffers,
                    uv_tcp_t* client, uv_tcp_t* site);
    SpliceForwarder(const SpliceForwarder&) = delete;
    SpliceForwarder& operator=(const SpliceForwarder&) = delete;

    // Starts watching both sockets, on the client handle's loop.
    [[nodiscard]] std::optional<ForwardFailure> start() noexcept override;
    void stop() noexcept override;
    [[nodiscard]] std::uint64_t bytes_to_site() const noexcept override {
        return upstream_.bytes();
    }
    [[nodiscard]] std::uint64_t bytes_to_client() const noexcept override {
        return downstream_.bytes();
    }

private:
    struct Watch {
        UvHandle<uv_poll_t> poll;
        int events = 0;  // currently requested, to skip redundant uv_poll_start calls
    };

    static void on_client_ready(uv_poll_t* poll, int status, int events) noexcept;
    static void on_site_ready(uv_poll_t* poll, int status, int events) noexcept;
    void on_ready(Side side, int status, int events) noexcept;
    // Re-derives what each socket waits for; reports the end or a failure. False if it did.
    bool settle() noexcept;
    void watch(Watch& watch, int events, uv_poll_cb callback) noexcept;
    void report_failure(ForwardFailure failure) noexcept;

    ForwarderEvents& events_;
    uv_loop_t* loop_;
    int client_fd_;  // -1 if the handle had none (start() then fails)
    int site_fd_;
    SpliceChannel upstream_;    // client → site
    SpliceChannel downstream_;  // site → client
    Watch client_;
    Watch site_;
    bool done_ = false;  // finished, failed or stopped: nothing more is reported
};

}  // namespace lb
