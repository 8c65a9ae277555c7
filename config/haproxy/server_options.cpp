#include "config/haproxy/server_options.h"

#include <optional>
#include <string>
#include <string_view>

#include "config/haproxy/directive_words.h"
#include "config/haproxy/values.h"

namespace lb::config::haproxy {
namespace {

// Options of `server`/`default-server` lines that take a value, besides those lb reads.
constexpr std::string_view kServerOptionsWithValue[] = {"addr",
                                                        "agent-addr",
                                                        "agent-inter",
                                                        "agent-port",
                                                        "agent-send",
                                                        "alpn",
                                                        "check-alpn",
                                                        "check-proto",
                                                        "ciphers",
                                                        "ciphersuites",
                                                        "client-sigalgs",
                                                        "cookie",
                                                        "crl-file",
                                                        "crt",
                                                        "curves",
                                                        "error-limit",
                                                        "hash-key",
                                                        "id",
                                                        "init-addr",
                                                        "log-proto",
                                                        "max-reuse",
                                                        "maxconn",
                                                        "maxqueue",
                                                        "minconn",
                                                        "namespace",
                                                        "npn",
                                                        "observe",
                                                        "on-error",
                                                        "on-marked-down",
                                                        "on-marked-up",
                                                        "pool-conn-name",
                                                        "pool-low-conn",
                                                        "pool-max-conn",
                                                        "pool-purge-delay",
                                                        "proto",
                                                        "proxy-v2-options",
                                                        "redir",
                                                        "resolve-net",
                                                        "resolve-opts",
                                                        "resolve-prefer",
                                                        "resolvers",
                                                        "shard",
                                                        "sigalgs",
                                                        "slowstart",
                                                        "sni",
                                                        "socks4",
                                                        "source",
                                                        "ssl-max-ver",
                                                        "ssl-min-ver",
                                                        "tcp-ut",
                                                        "track",
                                                        "usesrc",
                                                        "weight",
                                                        "ws",
                                                        "guid",
                                                        "set-proxy-v2-tlv-fmt",
                                                        "check-pool-conn-name",
                                                        "strict-maxconn"};

}  // namespace

void read_server_options(const Directive& d, std::size_t from, ServerOptions& options,
                         ImportDiagnostics& out_) {
    const auto value_of = [&](std::size_t& i) -> std::string_view {
        if (i + 1 >= d.words.size()) {
            out_.warning(d.line, "server option " + quoted(d.words[i]) + " needs a value; ignored");
            return {};
        }
        return d.words[++i];
    };
    const auto time_value = [&](std::size_t& i, std::optional<Duration>& into) {
        const std::string& option = d.words[i];
        const std::string_view text = value_of(i);
        if (text.empty()) return;
        const auto parsed = parse_time(text);
        if (!parsed || parsed->count() == 0)
            out_.warning(d.line, option + " " + std::string(text) +
                                     ": not a time HAProxy accepts (a number with an "
                                     "optional unit us, ms, s, m, h, d); ignored");
        else
            into = *parsed;
    };
    const auto count_value = [&](std::size_t& i, std::optional<int>& into) {
        const std::string& option = d.words[i];
        const std::string_view text = value_of(i);
        if (text.empty()) return;
        const auto value = parse_integer(text, 1, kIntMax);
        if (!value)
            out_.warning(d.line,
                         option + " " + std::string(text) + ": not a positive integer; ignored");
        else
            into = static_cast<int>(*value);
    };
    for (std::size_t i = from; i < d.words.size(); ++i) {
        const std::string& option = d.words[i];
        if (option == "check") {
            options.check = true;
        } else if (option == "no-check") {
            options.check = false;
        } else if (option == "inter") {
            time_value(i, options.inter);
        } else if (option == "fastinter" || option == "downinter") {
            const std::string_view text = value_of(i);
            if (!text.empty())
                out_.warning(d.line, option + " " + std::string(text) +
                                         ": lb checks a site every interval whatever its "
                                         "state (inter); ignored");
        } else if (option == "rise") {
            count_value(i, options.rise);
        } else if (option == "fall") {
            count_value(i, options.fall);
        } else if (option == "port") {
            const std::string_view text = value_of(i);
            if (text.empty()) continue;
            if (const auto port = parse_integer(text, 1, 65535))
                options.check_port = static_cast<std::uint16_t>(*port);
            else
                out_.warning(d.line,
                             "port " + std::string(text) + ": not a port (1..65535); ignored");
        } else if (option == "backup") {
            options.backup = true;
        } else if (option == "no-backup") {
            options.backup = false;
        } else if (option == "send-proxy") {
            options.send_proxy = ProxyProtocol::V1;
        } else if (option == "send-proxy-v2") {
            options.send_proxy = ProxyProtocol::V2;
        } else if (option == "send-proxy-v2-ssl" || option == "send-proxy-v2-ssl-cn") {
            options.send_proxy = ProxyProtocol::V2;
            out_.warning(d.line, option +
                                     ": lb sends PROXY v2 without TLS information "
                                     "(send-proxy-v2)");
        } else if (option == "no-send-proxy" || option == "no-send-proxy-v2") {
            options.send_proxy = ProxyProtocol::None;
        } else if (option == "check-send-proxy") {
            options.check_send_proxy = true;
        } else if (option == "no-check-send-proxy") {
            options.check_send_proxy = false;
        } else if (option == "check-ssl") {
            options.check_ssl = true;
        } else if (option == "no-check-ssl") {
            options.check_ssl = false;
        } else if (option == "verify") {
            const std::string_view text = value_of(i);
            if (text == "none" || text == "required")
                options.verify = std::string(text);
            else if (!text.empty())
                out_.warning(
                    d.line, "verify " + std::string(text) + ": expected none or required; ignored");
        } else if (option == "ca-file") {
            options.ca_file = std::string(value_of(i));
        } else if (option == "check-sni") {
            options.check_sni = std::string(value_of(i));
        } else if (option == "disabled") {
            options.disabled = true;
            out_.warning(d.line,
                         "server option 'disabled': lb has no disabled site in its config; "
                         "the site is converted as any other (put it in maintenance with "
                         "'lb ctl set server LISTENER/SITE state maint')");
        } else if (option == "enabled") {
            options.disabled = false;
        } else if (option == "ssl") {
            out_.warning(d.line,
                         "server option 'ssl': lb does not encrypt towards the site; "
                         "connections are forwarded as the client sent them");
        } else if (contains(kServerOptionsWithValue, option)) {
            const std::string_view text = value_of(i);
            if (option == "weight" || option == "cookie" || option == "id") continue;
            out_.warning(d.line, "server option " + quoted(option + " " + std::string(text)) +
                                     " has no equivalent in lb; ignored");
        } else {
            out_.warning(d.line,
                         "server option " + quoted(option) + " has no equivalent in lb; ignored");
        }
    }
}

}  // namespace lb::config::haproxy
