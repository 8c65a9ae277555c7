// kind = "http" / "https": one HTTP/1.1 GET with Connection: close, over a PlainStream or a
// TlsStream. Success: the status is in expect_status and, if set, the body contains
// expect_body. The whole exchange (connect, handshake, response) must fit in the timeout.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "health/byte_stream.h"
#include "health/http_response_parser.h"
#include "health/probe.h"
#include "health/prober.h"

namespace lb::health {

// The request bytes for a target: "GET /path HTTP/1.1\r\nHost: host\r\n...Connection: close".
[[nodiscard]] std::string build_request(const CheckTarget& target);

class HttpProbe final : public Probe {
public:
    HttpProbe(uv_loop_t* loop, CheckTarget target);

private:
    [[nodiscard]] std::optional<std::string> target_problem() const override;
    void on_connected() override;
    void on_data(std::string_view bytes) override;
    void on_eof() override;

    void send_request_when_ready();
    void judge();

    std::unique_ptr<ByteStream> stream_;
    HttpResponseParser parser_;
    bool request_sent_ = false;
};

class HttpProber final : public Prober {
public:
    explicit HttpProber(uv_loop_t* loop) : loop_(loop) {}

    void start(const CheckTarget& target, DoneCallback on_done) override;
    void cancel() override { slot_.cancel(); }

private:
    uv_loop_t* loop_;
    ProbeSlot slot_;
};

}  // namespace lb::health
