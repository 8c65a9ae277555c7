// Certificates are built field by field (X509_new …) so each test states exactly the names it
// needs. Failures REQUIRE with OpenSSL's reason: a test cannot run without its certificates.
#include "tests/support/test_certs.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>

namespace lb::test {
namespace {

struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

std::string openssl_error() {
    std::string text;
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) text += "; ";
        text += buffer;
    }
    return text.empty() ? "unknown OpenSSL error" : text;
}

void require_ok(bool ok, const char* what) {
    if (!ok) FAIL(what << ": " << openssl_error());
}

Key make_key() {
    Key key(EVP_EC_gen("P-256"));
    require_ok(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    require_ok(ext != nullptr, "X509V3_EXT_conf_nid");
    require_ok(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(ext);
}

// A certificate for `key`, named `common_name`, signed by `issuer_key` as `issuer` (or by
// itself when issuer is null).
Cert make_cert(EVP_PKEY* key, const std::string& common_name, bool is_ca,
               const std::vector<std::string>& dns_names, X509* issuer, EVP_PKEY* issuer_key) {
    Cert cert(X509_new());
    require_ok(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);  // v3: extensions
    unsigned char serial[16];
    require_ok(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
    serial[0] &= 0x7f;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    require_ok(
        bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    require_ok(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    require_ok(X509_NAME_add_entry_by_txt(
                   name, "CN", MBSTRING_UTF8,
                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
               "subject CN");
    X509* signer = issuer != nullptr ? issuer : cert.get();
    require_ok(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");

    add_extension(cert.get(), signer, NID_basic_constraints,
                  is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage,
                  is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
    if (!dns_names.empty()) {
        std::string san;
        for (const auto& dns : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
        add_extension(cert.get(), signer, NID_subject_alt_name, san);
        add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    }
    require_ok(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
               "X509_sign");
    return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) FAIL("cannot write " << path);
    const bool ok = cert != nullptr ? PEM_write_X509(file, cert) == 1
                                    : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr,
                                                           nullptr) == 1;
    std::fclose(file);
    require_ok(ok, path.c_str());
}

CertFiles write_pair(const std::string& dir, const std::string& stem, X509* cert, EVP_PKEY* key) {
    CertFiles files{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
    write_pem(files.cert, cert, nullptr);
    write_pem(files.key, nullptr, key);
    return files;
}

}  // namespace

TestCertificateAuthority::TestCertificateAuthority(const std::string& dir, const std::string& stem,
                                                   const std::string& common_name)
    : dir_(dir) {
    Key key = make_key();
    Cert cert = make_cert(key.get(), common_name, /*is_ca=*/true, {}, nullptr, nullptr);
    files_ = write_pair(dir, stem, cert.get(), key.get());
    key_.reset(key.release());
    cert_.reset(cert.release());
}

CertFiles TestCertificateAuthority::issue(const std::string& stem,
                                          const std::vector<std::string>& dns_names) const {
    Key key = make_key();
    const std::string cn = dns_names.empty() ? stem : dns_names.front();
    Cert cert = make_cert(key.get(), cn, /*is_ca=*/false, dns_names, cert_.get(), key_.get());
    return write_pair(dir_, stem, cert.get(), key.get());
}

CertFiles make_self_signed_cert(const std::string& dir, const std::string& stem,
                                const std::vector<std::string>& dns_names) {
    Key key = make_key();
    const std::string cn = dns_names.empty() ? stem : dns_names.front();
    Cert cert = make_cert(key.get(), cn, /*is_ca=*/false, dns_names, nullptr, nullptr);
    return write_pair(dir, stem, cert.get(), key.get());
}

}  // namespace lb::test
