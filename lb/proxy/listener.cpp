#include "lb/proxy/listener.h"

#include <unistd.h>

#include "lb/proxy/listen_socket.h"

namespace lb {

int Listener::start(uv_loop_t* loop, int fd) {
    auto* tcp = new uv_tcp_t;
    if (const int rc = uv_tcp_init(loop, tcp); rc != 0) {
        delete tcp;  // a failed init registered nothing
        ::close(fd);
        return rc;
    }
    handle_ = UvHandle<uv_tcp_t>(tcp);
    if (const int rc = uv_tcp_open(tcp, fd); rc != 0) {
        ::close(fd);
        handle_.reset();
        return rc;
    }
    tcp->data = this;
    const int rc =
        uv_listen(reinterpret_cast<uv_stream_t*>(tcp), kListenBacklog, &Listener::on_connection);
    if (rc != 0) handle_.reset();
    return rc;
}

void Listener::on_connection(uv_stream_t* server, int status) noexcept {
    auto* self = static_cast<Listener*>(server->data);
    if (self == nullptr) return;  // closed meanwhile
    if (status < 0) {
        self->events_.on_accept_error(self->index_, status);
        return;
    }
    self->events_.on_client_pending(self->index_, server);
}

}  // namespace lb
