// The zero-copy data path of one session: both directions as SpliceChannels, driven by one
// uv_poll_t per socket (libuv has no splice). The sockets stay owned by the session's uv_tcp_t
// handles, which must not read or write while this runs; destroying the forwarder stops the
// polls before the session closes the sockets.
#pragma once

#include <uv.h>

#include <cstdint>

#include "lb/base/uv_handle.h"
#include "lb/proxy/kernel_pipe_pool.h"
#include "lb/proxy/splice_channel.h"

namespace lb {

class ForwarderEvents {
public:
    virtual void on_forward_progress() noexcept = 0;
    virtual void on_forward_finished() noexcept = 0;  // both FINs passed on
    // `client_side`: the client's socket failed (else the site's).
    virtual void on_forward_failed(bool client_side, int status) noexcept = 0;

protected:
    ~ForwarderEvents() = default;
};

class SpliceForwarder {
public:
    SpliceForwarder(ForwarderEvents& events, KernelPipePool& pipes, int client_fd, int site_fd);
    SpliceForwarder(const SpliceForwarder&) = delete;
    SpliceForwarder& operator=(const SpliceForwarder&) = delete;

    // Starts watching both sockets. Returns a libuv status.
    [[nodiscard]] int start(uv_loop_t* loop);

    [[nodiscard]] std::uint64_t bytes_to_site() const { return upstream_.bytes(); }
    [[nodiscard]] std::uint64_t bytes_to_client() const { return downstream_.bytes(); }

private:
    struct Watch {
        UvHandle<uv_poll_t> poll;
        int events = 0;  // currently requested, to skip redundant uv_poll_start calls
    };

    static void on_client_ready(uv_poll_t* poll, int status, int events) noexcept;
    static void on_site_ready(uv_poll_t* poll, int status, int events) noexcept;
    void on_ready(bool client_side, int status, int events) noexcept;
    // Re-derives what each socket waits for; reports the end or a failure. False if it did.
    bool settle() noexcept;
    void watch(Watch& watch, int events, uv_poll_cb callback) noexcept;

    ForwarderEvents& events_;
    int client_fd_;
    int site_fd_;
    SpliceChannel upstream_;    // client → site
    SpliceChannel downstream_;  // site → client
    Watch client_;
    Watch site_;
    bool done_ = false;
};

}  // namespace lb
