// CheckTarget: the only place that reads HealthSettings on behalf of probes.
#include "health/check_target.h"

namespace lb::health {

CheckTarget CheckTarget::from_settings(const config::HealthSettings& settings,
                                       const SocketAddress& address_with_port) {
    CheckTarget target;
    target.address = address_with_port;
    target.kind = settings.kind;
    target.path = settings.path;
    target.host = settings.host;
    target.expect_status = settings.expect_status;
    target.status_ranges = StatusRanges::parse(settings.expect_status);
    target.expect_body = settings.expect_body;
    target.verify = settings.verify;
    target.ca_file = settings.ca_file;
    target.timeout = settings.timeout;
    target.proxy_protocol = settings.proxy_protocol;
    return target;
}

std::string CheckTarget::to_string() const {
    switch (kind) {
        case config::CheckKind::Tcp:
            return "tcp " + address.to_string();
        case config::CheckKind::Http:
            return "http " + address.to_string() + " " + host + path;
        case config::CheckKind::Https:
            return "https " + address.to_string() + " " + host + path +
                   (verify == config::TlsVerify::Ca ? " (verify ca)" : "");
    }
    return address.to_string();
}

}  // namespace lb::health
