// TlsStream: OpenSSL's state machine fed by hand. Every entry point clears the thread's error
// queue first, so a reason always describes this check and not a leftover from another.
#include "health/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>

namespace lb::health {
namespace {

std::string openssl_error_text(unsigned long code) {
    if (code == 0) return "unknown error";
    if (ERR_SYSTEM_ERROR(code)) return std::strerror(ERR_GET_REASON(code));
    if (const char* reason = ERR_reason_error_string(code)) return reason;
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

// The earliest queued error is the root cause; later ones are the call stack unwinding.
std::string take_openssl_error() {
    std::string text = openssl_error_text(ERR_peek_error());
    ERR_clear_error();
    return text;
}

bool is_ip_literal(const std::string& host) {
    in6_addr v6{};
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

TlsStream::TlsStream(TlsOptions options) : options_(std::move(options)) {}

ByteStream::Failure TlsStream::open(std::string& to_wire) {
    ERR_clear_error();
    const bool verify = options_.verify == config::TlsVerify::Ca;
    if (verify && options_.host.empty()) return "tls: verify = \"ca\" needs a host to verify";

    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return "tls: " + take_openssl_error();
    if (verify) {
        if (SSL_CTX_load_verify_locations(ctx_.get(), options_.ca_file.c_str(), nullptr) != 1)
            return "tls: cannot load ca_file \"" + options_.ca_file + "\": " + take_openssl_error();
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    }

    ssl_.reset(SSL_new(ctx_.get()));
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    if (!ssl_ || in == nullptr || out == nullptr) {
        BIO_free(in);
        BIO_free(out);
        return "tls: " + take_openssl_error();
    }
    SSL_set_bio(ssl_.get(), in, out);  // ssl_ owns both from here
    from_wire_ = in;
    to_wire_ = out;

    const bool ip = is_ip_literal(options_.host);
    // SSL_set_tlsext_host_name is a macro with a C cast; this is its expansion.
    if (!ip && !options_.host.empty() &&
        SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(options_.host.c_str())) != 1)
        return "tls: bad server name \"" + options_.host + "\": " + take_openssl_error();
    if (verify) {
        const int set =
            ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), options_.host.c_str())
               : SSL_set1_host(ssl_.get(), options_.host.c_str());
        if (set != 1) return "tls: cannot verify host \"" + options_.host + "\"";
        SSL_set_hostflags(ssl_.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    SSL_set_connect_state(ssl_.get());
    return handshake(to_wire);
}

ByteStream::Failure TlsStream::write(std::string_view plain, std::string& to_wire) {
    if (!established_) return "tls: write before the handshake";
    if (plain.empty()) return {};
    ERR_clear_error();
    // A memory BIO never pushes back, so SSL_write takes everything or fails.
    if (SSL_write(ssl_.get(), plain.data(), static_cast<int>(plain.size())) <= 0)
        return "tls: " + take_openssl_error();
    drain(to_wire);
    return {};
}

ByteStream::Failure TlsStream::read(std::string_view from_wire, std::string& to_wire,
                                    std::string& plain) {
    if (!ssl_) return "tls: read before open";
    ERR_clear_error();
    if (!from_wire.empty() &&
        BIO_write(from_wire_, from_wire.data(), static_cast<int>(from_wire.size())) <= 0)
        return "tls: " + take_openssl_error();
    if (!established_) {
        if (auto failure = handshake(to_wire)) return failure;
        if (!established_) return {};
    }
    // The plaintext is at most what just arrived (one socket read), so this stays bounded.
    std::array<char, 16 * 1024> buffer{};
    for (;;) {
        const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (n > 0) {
            plain.append(buffer.data(), static_cast<std::size_t>(n));
            continue;
        }
        const int error = SSL_get_error(ssl_.get(), n);
        if (error == SSL_ERROR_WANT_READ) break;
        if (error == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            break;
        }
        return "tls: " + take_openssl_error();
    }
    drain(to_wire);  // e.g. a key update reply
    return {};
}

ByteStream::Failure TlsStream::handshake(std::string& to_wire) {
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
        established_ = true;
        drain(to_wire);
        return {};
    }
    const int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        drain(to_wire);
        return {};
    }
    std::string reason = handshake_failure(error);
    ERR_clear_error();
    return reason;
}

std::string TlsStream::handshake_failure(int ssl_error) const {
    if (options_.verify == config::TlsVerify::Ca) {
        // The verify result names the problem ("self-signed certificate", "hostname
        // mismatch"); the error queue would only say "certificate verify failed".
        const long result = SSL_get_verify_result(ssl_.get());
        if (result != X509_V_OK)
            return std::string("tls: certificate verify failed: ") +
                   X509_verify_cert_error_string(result);
    }
    if (ssl_error == SSL_ERROR_SSL) return "tls handshake: " + openssl_error_text(ERR_peek_error());
    return "tls handshake: connection closed";
}

void TlsStream::drain(std::string& to_wire) {
    std::array<char, 4096> buffer{};
    for (;;) {
        const int n = BIO_read(to_wire_, buffer.data(), static_cast<int>(buffer.size()));
        if (n <= 0) return;
        to_wire.append(buffer.data(), static_cast<std::size_t>(n));
    }
}

}  // namespace lb::health
