// HttpProbe: the body is read until the response's own framing ends (Content-Length, chunked)
// or, when it has none, until the server closes, which Connection: close makes it do. Replies
// over HttpResponseParser::kDefaultMaxBytes fail, as does anything still unfinished when the
// probe's single deadline fires.
#include "health/http_prober.h"

#include <algorithm>

#include "health/tls_stream.h"

namespace lb::health {
namespace {

bool has_control_or_space(std::string_view text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

}  // namespace

std::string build_request(const CheckTarget& target) {
    std::string request = "GET " + target.path + " HTTP/1.1\r\n";
    request += "Host: " + target.host + "\r\n";
    request += "User-Agent: sitelb-health\r\n";
    request += "Accept: */*\r\n";
    request += "Connection: close\r\n\r\n";
    return request;
}

HttpProbe::HttpProbe(uv_loop_t* loop, CheckTarget target)
    : Probe(loop, std::move(target)), parser_(this->target().expect_body) {}

std::optional<std::string> HttpProbe::target_problem() const {
    if (!target().status_ranges) return "invalid expect_status \"" + target().expect_status + "\"";
    // Config validation should have refused these; a CR/LF here would split the request.
    if (target().path.empty() || target().path.front() != '/' ||
        has_control_or_space(target().path))
        return "invalid path";
    if (target().host.empty() || has_control_or_space(target().host)) return "invalid host";
    return std::nullopt;
}

void HttpProbe::on_connected() {
    if (target().kind == config::CheckKind::Https) {
        stream_ = std::make_unique<TlsStream>(TlsOptions{
            .host = target().host, .verify = target().verify, .ca_file = target().ca_file});
        set_phase(Phase::TlsHandshake);
    } else {
        stream_ = std::make_unique<PlainStream>();
    }
    std::string to_wire;
    if (auto failure = stream_->open(to_wire))
        return fail(CheckCause::TlsError, std::move(*failure));
    send(to_wire);
    start_reading();
    send_request_when_ready();
}

void HttpProbe::on_data(std::string_view bytes) {
    std::string to_wire;
    std::string plain;
    if (auto failure = stream_->read(bytes, to_wire, plain))
        return fail(CheckCause::TlsError, std::move(*failure));
    send(to_wire);
    send_request_when_ready();
    if (closing()) return;
    // Bytes before our request (a banner, a stray reply) are judged like any reply: a server
    // that talks first is not an HTTP server.
    switch (parser_.feed(plain)) {
        case HttpResponseParser::State::Complete:
            return judge();
        case HttpResponseParser::State::Failed:
            return fail(CheckCause::BadResponse, "http: " + parser_.failure_text());
        case HttpResponseParser::State::Incomplete:
            break;
    }
    if (stream_->peer_closed()) on_eof();
}

void HttpProbe::on_eof() {
    if (!stream_->is_open())
        return fail(CheckCause::TlsError, "tls handshake: connection closed by server");
    switch (parser_.finish()) {
        case HttpResponseParser::State::Complete:
            return judge();
        case HttpResponseParser::State::Failed:
        case HttpResponseParser::State::Incomplete:
            return fail(CheckCause::BadResponse, "http: " + parser_.failure_text());
    }
}

void HttpProbe::send_request_when_ready() {
    if (request_sent_ || closing() || !stream_->is_open()) return;
    request_sent_ = true;
    set_phase(Phase::Response);
    std::string to_wire;
    if (auto failure = stream_->write(build_request(target()), to_wire))
        return fail(CheckCause::TlsError, std::move(*failure));
    send(to_wire);
}

void HttpProbe::judge() {
    set_http_status(parser_.status());
    const std::string status = "http " + std::to_string(parser_.status());
    if (!target().status_ranges->contains(parser_.status()))
        return fail(CheckCause::BadStatus, status);
    if (!parser_.body_matched()) return fail(CheckCause::BodyMismatch, status + ", body mismatch");
    succeed(status);
}

void HttpProber::start(const CheckTarget& target, DoneCallback on_done) {
    slot_.start(std::make_unique<HttpProbe>(loop_, target), std::move(on_done));
}

}  // namespace lb::health
