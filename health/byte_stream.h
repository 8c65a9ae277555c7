// A layer between a probe's socket and its HTTP exchange, without I/O: the probe hands it what
// the wire delivered and sends whatever it asks to. PlainStream passes bytes through; TlsStream
// (tls_stream.h) runs TLS over memory BIOs. So the HTTP check is one code path for both.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lb::health {

class ByteStream {
public:
    // Set to the reason when the stream failed ("tls handshake: wrong version number").
    using Failure = std::optional<std::string>;

    virtual ~ByteStream() = default;

    // The socket is connected: start the protocol (a TLS ClientHello lands in `to_wire`).
    [[nodiscard]] virtual Failure open(std::string& to_wire) = 0;
    // Plaintext may flow (TLS: the handshake has completed).
    [[nodiscard]] virtual bool is_open() const = 0;
    // Application bytes out; only once is_open().
    [[nodiscard]] virtual Failure write(std::string_view plain, std::string& to_wire) = 0;
    // Bytes from the wire in; may produce bytes to send (handshake) and plaintext to read.
    [[nodiscard]] virtual Failure read(std::string_view from_wire, std::string& to_wire,
                                       std::string& plain) = 0;
    // The peer ended the stream inside the protocol (TLS close_notify): treat as EOF.
    [[nodiscard]] virtual bool peer_closed() const = 0;
};

class PlainStream final : public ByteStream {
public:
    [[nodiscard]] Failure open(std::string& /*to_wire*/) override { return {}; }
    [[nodiscard]] bool is_open() const override { return true; }
    [[nodiscard]] Failure write(std::string_view plain, std::string& to_wire) override {
        to_wire.append(plain);
        return {};
    }
    [[nodiscard]] Failure read(std::string_view from_wire, std::string& /*to_wire*/,
                               std::string& plain) override {
        plain.append(from_wire);
        return {};
    }
    [[nodiscard]] bool peer_closed() const override { return false; }
};

}  // namespace lb::health
