// Throwaway X.509 material for TLS tests, made with OpenSSL's API (no `openssl` binary needed):
// a CA that issues server certificates, and self-signed certificates. EC P-256, valid from an
// hour ago for a day, written as PEM files into a directory the caller owns.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace lb::test {

struct CertFiles {
    std::string cert;  // PEM certificate path
    std::string key;   // PEM private key path (unencrypted)
};

class TestCertificateAuthority {
public:
    // Writes `<dir>/<stem>.crt` (the CA certificate, the ca_file for clients) and its key.
    TestCertificateAuthority(const std::string& dir, const std::string& stem,
                             const std::string& common_name = "sitelb test CA");

    [[nodiscard]] const std::string& cert_file() const { return files_.cert; }
    // A server certificate for `dns_names` (subjectAltName; the first is also the CN), signed
    // by this CA: `<dir>/<stem>.crt` and `<dir>/<stem>.key`.
    [[nodiscard]] CertFiles issue(const std::string& stem,
                                  const std::vector<std::string>& dns_names) const;

private:
    struct KeyFree {
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    };
    struct CertFree {
        void operator()(X509* cert) const { X509_free(cert); }
    };

    std::string dir_;
    CertFiles files_;
    std::unique_ptr<EVP_PKEY, KeyFree> key_;
    std::unique_ptr<X509, CertFree> cert_;
};

// A self-signed server certificate for `dns_names`: `<dir>/<stem>.crt` and `<dir>/<stem>.key`.
[[nodiscard]] CertFiles make_self_signed_cert(const std::string& dir, const std::string& stem,
                                              const std::vector<std::string>& dns_names);

}  // namespace lb::test
