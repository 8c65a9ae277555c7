// HTTP and HTTPS checks against a real NGINX (the gateway sitelb fronts), started by the test on
// loopback with certificates the test makes: a CA-signed one, a self-signed one, and another CA.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/component/health/probe_test_support.h"
#include "tests/support/nginx_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace lb::test {
namespace {

using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

std::vector<NginxLocation> gateway_locations() {
    return {{.path = "/health", .status = 200, .body = "{\"status\":\"ready\"}\n"},
            {.path = "/down", .status = 503, .body = "maintenance\n"}};
}

// One NGINX with three listeners: plain HTTP, TLS with a CA-signed certificate for
// gateway.test, TLS with a self-signed certificate for gateway.test.
struct Gateway {
    TempDir dir{"lb-certs"};
    TestCertificateAuthority ca{dir.path(), "ca"};
    TestCertificateAuthority other_ca{dir.path(), "other-ca", "another test CA"};
    CertFiles signed_cert = ca.issue("gateway", {"gateway.test", "www.gateway.test"});
    CertFiles self_signed = make_self_signed_cert(dir.path(), "self", {"gateway.test"});
    NginxServer nginx{NginxOptions{.servers = {
                                       {.locations = gateway_locations()},
                                       {.cert_file = signed_cert.cert,
                                        .key_file = signed_cert.key,
                                        .locations = gateway_locations()},
                                       {.cert_file = self_signed.cert,
                                        .key_file = self_signed.key,
                                        .locations = gateway_locations()},
                                   }}};

    [[nodiscard]] std::uint16_t plain_port() const { return nginx.port(0); }
    [[nodiscard]] std::uint16_t tls_port() const { return nginx.port(1); }
    [[nodiscard]] std::uint16_t self_signed_port() const { return nginx.port(2); }
};

health::CheckResult check(const config::HealthSettings& settings, std::uint16_t port) {
    TestLoop loop;
    const health::CheckResult result = run_check(loop, target_for(settings, port));
    CHECK(loop.close() == 0);
    return result;
}

config::HealthSettings https(config::TlsVerify verify, const std::string& ca_file = "") {
    auto settings = health_settings(config::CheckKind::Https);
    settings.verify = verify;
    settings.ca_file = ca_file;
    return settings;
}

TEST_CASE("NGINX over plain HTTP", "[component][health][nginx]") {
    Gateway gateway;
    auto settings = health_settings(config::CheckKind::Http);

    SECTION("the health path answers 200") {
        const auto result = check(settings, gateway.plain_port());
        CHECK(result.ok);
        CHECK_THAT(result.reason, Equals("http 200"));
    }
    SECTION("a 503 location is down") {
        settings.path = "/down";
        CHECK_THAT(check(settings, gateway.plain_port()).reason, Equals("http 503"));
    }
    SECTION("an unknown path is a 404") {
        settings.path = "/nope";
        CHECK_THAT(check(settings, gateway.plain_port()).reason, Equals("http 404"));
    }
    SECTION("expect_body matches NGINX's body") {
        settings.expect_body = "\"ready\"";
        CHECK(check(settings, gateway.plain_port()).ok);
        settings.expect_body = "\"draining\"";
        CHECK_THAT(check(settings, gateway.plain_port()).reason, Equals("http 200, body mismatch"));
    }
    SECTION("plain HTTP to the TLS port gets NGINX's 400") {
        CHECK_THAT(check(settings, gateway.tls_port()).reason, Equals("http 400"));
    }
    SECTION("a stopped NGINX refuses") {
        const std::uint16_t port = gateway.plain_port();
        gateway.nginx.stop();
        CHECK_THAT(check(settings, port).reason, Equals("connect refused"));
    }
}

TEST_CASE("NGINX over HTTPS", "[component][health][nginx]") {
    Gateway gateway;

    SECTION("verify = none accepts a CA-signed certificate") {
        const auto result = check(https(config::TlsVerify::None), gateway.tls_port());
        CHECK(result.ok);
        CHECK_THAT(result.reason, Equals("http 200"));
    }
    SECTION("verify = none accepts a self-signed certificate") {
        CHECK(check(https(config::TlsVerify::None), gateway.self_signed_port()).ok);
    }
    SECTION("verify = ca with the right CA and host") {
        const auto result =
            check(https(config::TlsVerify::Ca, gateway.ca.cert_file()), gateway.tls_port());
        CHECK(result.ok);
        CHECK_THAT(result.reason, Equals("http 200"));
    }
    SECTION("verify = ca matches any subjectAltName, and checks the status as usual") {
        auto settings = https(config::TlsVerify::Ca, gateway.ca.cert_file());
        settings.host = "www.gateway.test";
        settings.path = "/down";
        CHECK_THAT(check(settings, gateway.tls_port()).reason, Equals("http 503"));
    }
    SECTION("verify = ca with a wrong host") {
        auto settings = https(config::TlsVerify::Ca, gateway.ca.cert_file());
        settings.host = "other.test";
        CHECK_THAT(check(settings, gateway.tls_port()).reason,
                   Equals("tls: certificate verify failed: hostname mismatch"));
    }
    SECTION("verify = ca with a wrong CA") {
        CHECK_THAT(
            check(https(config::TlsVerify::Ca, gateway.other_ca.cert_file()), gateway.tls_port())
                .reason,
            Equals("tls: certificate verify failed: unable to get local issuer certificate"));
    }
    SECTION("verify = ca against a self-signed certificate") {
        CHECK_THAT(
            check(https(config::TlsVerify::Ca, gateway.ca.cert_file()), gateway.self_signed_port())
                .reason,
            Equals("tls: certificate verify failed: self-signed certificate"));
    }
    SECTION("verify = ca with a missing ca_file") {
        const auto result =
            check(https(config::TlsVerify::Ca, gateway.dir.path().string() + "/missing.crt"),
                  gateway.tls_port());
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, StartsWith("tls: cannot load ca_file \"" +
                                             gateway.dir.path().string() + "/missing.crt\": "));
    }
    SECTION("HTTPS to the plain HTTP port fails the handshake") {
        const auto result = check(https(config::TlsVerify::None), gateway.plain_port());
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.reason, StartsWith("tls handshake: "));
    }
}

}  // namespace
}  // namespace lb::test
