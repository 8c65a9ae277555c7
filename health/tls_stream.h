// TLS client over memory BIOs (OpenSSL libssl), as a ByteStream: the probe owns the socket, this
// owns the SSL state. SNI is the check's host (unless it is an IP literal, RFC 6066 §3);
// verify = "ca" checks the chain against ca_file AND the certificate's name against host.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "health/byte_stream.h"

namespace lb::health {

struct TlsOptions {
    std::string host;
    config::TlsVerify verify = config::TlsVerify::None;
    std::string ca_file;
};

class TlsStream final : public ByteStream {
public:
    explicit TlsStream(TlsOptions options);

    // Builds a fresh SSL_CTX per check so a replaced ca_file is read on the next check without
    // a reload; one PEM load per site per interval is cheap.
    [[nodiscard]] Failure open(std::string& to_wire) override;
    [[nodiscard]] bool is_open() const override { return established_; }
    [[nodiscard]] Failure write(std::string_view plain, std::string& to_wire) override;
    [[nodiscard]] Failure read(std::string_view from_wire, std::string& to_wire,
                               std::string& plain) override;
    [[nodiscard]] bool peer_closed() const override { return peer_closed_; }

private:
    struct CtxFree {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }  // frees both BIOs too
    };

    [[nodiscard]] Failure handshake(std::string& to_wire);
    [[nodiscard]] std::string handshake_failure(int ssl_error) const;
    void drain(std::string& to_wire);

    TlsOptions options_;
    std::unique_ptr<SSL_CTX, CtxFree> ctx_;
    std::unique_ptr<SSL, SslFree> ssl_;
    BIO* from_wire_ = nullptr;  // owned by ssl_: ciphertext received, for OpenSSL to read
    BIO* to_wire_ = nullptr;    // owned by ssl_: ciphertext OpenSSL wrote, for us to send
    bool established_ = false;
    bool peer_closed_ = false;
};

}  // namespace lb::health
