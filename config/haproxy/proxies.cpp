#include "config/haproxy/proxies.h"

#include <map>
#include <utility>

#include "config/haproxy/directive_words.h"
#include "config/haproxy/global_section.h"
#include "config/haproxy/health_check_directives.h"
#include "config/haproxy/server_options.h"
#include "config/haproxy/values.h"

namespace lb::config::haproxy {
namespace {

class ProxyReader {
public:
    ProxyReader(Proxy& proxy, ImportDiagnostics& out) : proxy_(proxy), out_(out) {}

    void read(const Directive& d) {
        const std::string& keyword = d.keyword();
        if (keyword == "no" || keyword == "default") {
            on_negated(d);
            return;
        }
        if (keyword == "mode") return on_mode(d);
        if (keyword == "bind") return on_bind(d);
        if (keyword == "default_backend") return on_default_backend(d);
        if (keyword == "use_backend") return on_use_backend(d);
        if (keyword == "server") return on_server(d);
        if (keyword == "default-server") return on_default_server(d);
        if (keyword == "option") return on_option(d);
        if (keyword == "http-check") return on_http_check(d);
        if (keyword == "tcp-check") return on_tcp_check(d);
        if (keyword == "timeout") return on_timeout(d, d.word(1), 2);
        if (keyword == "contimeout") return on_timeout(d, "connect", 1);
        if (keyword == "clitimeout") return on_timeout(d, "client", 1);
        if (keyword == "srvtimeout") return on_timeout(d, "server", 1);
        if (keyword == "retries") return on_retries(d);
        if (keyword == "redispatch") {
            proxy_.redispatch = Located<bool>{true, d.line};
            return;
        }
        if (keyword == "maxconn") {
            out_.warning(d.line, quoted(d.text()) +
                                     ": lb has one connection limit for all its listeners "
                                     "(global.max_connections, from global maxconn); ignored");
            return;
        }
        if (keyword == "stats") return on_stats(d);
        if (keyword == "http-request" && d.word(1) == "use-service" &&
            d.word(2) == "prometheus-exporter") {
            proxy_.stats_page = true;
            return;
        }
        if (keyword == "log" && d.word(1) == "global") return;  // the global log: reported there
        out_.warning(d.line, ignored(d, keyword));
    }

private:
    bool is_frontend() const {
        return proxy_.kind == ProxyKind::Frontend || proxy_.kind == ProxyKind::Listen;
    }
    bool is_backend() const {
        return proxy_.kind == ProxyKind::Backend || proxy_.kind == ProxyKind::Listen;
    }

    void misplaced(const Directive& d, std::string_view where) {
        out_.warning(d.line, quoted(d.keyword()) + " is not allowed in " + std::string(where) +
                                 " (HAProxy refuses it); ignored");
    }

    void on_negated(const Directive& d) {
        if (d.word(1) == "option" && d.word(2) == "redispatch") {
            proxy_.redispatch = Located<bool>{false, d.line};
            return;
        }
        if (d.word(1) == "option" &&
            (d.word(2) == "httpchk" || d.word(2) == "tcp-check")) {
            proxy_.check = HealthCheck{};
            return;
        }
        out_.warning(d.line, ignored(d, d.word(1)));
    }

    void on_mode(const Directive& d) {
        const std::string_view value = d.word(1);
        if (value == "tcp") {
            proxy_.mode = {ProxyMode::Tcp, d.line};
        } else if (value == "http") {
            proxy_.mode = {ProxyMode::Http, d.line};
        } else {
            proxy_.mode = {ProxyMode::Other, d.line};
            out_.warning(d.line, quoted(d.text()) + ": not a mode lb can serve; read as mode tcp");
        }
    }

    void on_bind(const Directive& d) {
        if (!is_frontend()) return misplaced(d, "a backend or defaults section");
        Bind entry;
        entry.line = d.line;
        std::string_view list = d.word(1);
        if (list.empty()) {
            out_.warning(d.line, "'bind' without an address; ignored");
            return;
        }
        while (!list.empty()) {
            const auto comma = list.find(',');
            const std::string_view one = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
            if (one.empty()) continue;
            auto parsed = parse_bind_address(one);
            if (auto* address = std::get_if<SocketAddress>(&parsed))
                entry.addresses.push_back(*address);
            else
                out_.warning(d.line, "bind " + std::string(one) + ": " +
                                         std::get<std::string>(parsed) + "; not converted");
        }
        for (std::size_t i = 2; i < d.words.size(); ++i) {
            const std::string& option = d.words[i];
            const bool has_value = contains(kBindOptionsWithValue, option);
            if (option == "ssl") {
                out_.warning(d.line, "bind ... ssl: lb does not terminate TLS; the listener "
                                     "forwards the encrypted bytes to the site, whose gateway "
                                     "must hold the certificate");
            } else if (option == "accept-proxy") {
                entry.accept_proxy = true;  // listeners.accept_proxy
            } else if (option == "crt" || option == "crt-list" || option == "alpn" ||
                       option == "ciphers" || option == "ca-file" || option == "verify" ||
                       option == "ssl-min-ver" || option == "ciphersuites" || option == "curves") {
                // TLS settings: covered by the warning on `ssl`.
            } else if (option == "v4v6" || option == "v6only") {
                out_.warning(d.line, "bind ... " + option +
                                         ": lb binds IPv6 addresses as the system does "
                                         "(dual-stack unless net.ipv6.bindv6only); ignored");
            } else {
                out_.warning(d.line, "bind option " + quoted(option) +
                                         " has no equivalent in lb; ignored");
            }
            if (has_value) ++i;
        }
        if (!entry.addresses.empty()) proxy_.binds.push_back(std::move(entry));
    }

    void on_default_backend(const Directive& d) {
        if (proxy_.kind == ProxyKind::Backend) return misplaced(d, "a backend");
        if (d.word(1).empty()) {
            out_.warning(d.line, "'default_backend' without a name; ignored");
            return;
        }
        proxy_.default_backend = Located<std::string>{std::string(d.word(1)), d.line};
    }

    void on_use_backend(const Directive& d) {
        out_.warning(d.line, quoted(d.text()) +
                                 ": lb sends every connection of a listener to the same sites "
                                 "(no ACLs); the default_backend is used");
        if (!proxy_.first_use_backend && !d.word(1).empty())
            proxy_.first_use_backend = Located<std::string>{std::string(d.word(1)), d.line};
    }

    void on_server(const Directive& d) {
        if (!is_backend()) return misplaced(d, "a frontend or defaults section");
        if (d.words.size() < 3) {
            out_.warning(d.line, "'server' needs a name and an address; ignored");
            return;
        }
        Server server;
        server.line = d.line;
        server.name = d.words[1];
        auto parsed = parse_server_address(d.words[2]);
        if (auto* address = std::get_if<ServerAddress>(&parsed)) {
            server.address = address->ip;
            server.port = address->port;
        } else {
            out_.warning(d.line, "server " + server.name + ": " + std::get<std::string>(parsed) +
                                     "; this server is not converted");
        }
        server.options = proxy_.default_server;
        read_server_options(d, 3, server.options, out_);
        proxy_.servers.push_back(std::move(server));
    }

    void on_default_server(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        read_server_options(d, 1, proxy_.default_server, out_);
    }

    void on_option(const Directive& d) {
        const std::string_view name = d.word(1);
        if (name == "httpchk") return option_httpchk(d);
        if (name == "tcp-check") {
            proxy_.check = HealthCheck{};
            proxy_.check.type = CheckType::TcpCheck;
            proxy_.check.line = d.line;
            return;
        }
        if (name == "redispatch") {
            proxy_.redispatch = Located<bool>{true, d.line};
            return;
        }
        if (name == "ssl-hello-chk" || name == "mysql-check" || name == "pgsql-check" ||
            name == "redis-check" || name == "smtpchk" || name == "ldap-check" ||
            name == "spop-check" || name == "external-check") {
            proxy_.check = HealthCheck{};
            proxy_.check.line = d.line;
            out_.warning(d.line, quoted(d.text()) +
                                     ": lb checks with a TCP connect, HTTP or HTTPS; a TCP "
                                     "connect check is used");
            return;
        }
        if (name == "tcplog" || name == "httplog" || name == "dontlognull" ||
            name == "logasap" || name == "log-health-checks" || name == "dontlog-normal" ||
            name == "log-separate-errors") {
            out_.warning(d.line, quoted(d.text()) + ": " + reason_for("log") + "; ignored");
            return;
        }
        if (name == "forwardfor" || name == "http-server-close" || name == "httpclose" ||
            name == "http-keep-alive" || name == "http-buffer-request" ||
            name == "originalto" || name == "http-pretend-keepalive" ||
            name == "http-no-delay" || name == "forwarded") {
            out_.warning(d.line,
                         quoted(d.text()) + ": " + reason_for("http-request") + "; ignored");
            return;
        }
        out_.warning(d.line, ignored(d, "option"));
    }

    void option_httpchk(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        read_option_httpchk(d, proxy_.check, out_);
    }

    void on_http_check(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        const std::string_view what = d.word(1);
        if (what == "send") return read_http_check_send(d, proxy_.check, out_);
        if (what == "expect") return read_http_check_expect(d, proxy_.check, out_);
        if (what == "comment") return;
        out_.warning(d.line, quoted(d.text()) + ": lb's HTTP check is one GET and one expected "
                                                "answer; ignored");
    }

    void on_tcp_check(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        if (d.word(1) == "connect" || d.word(1) == "comment") return;
        out_.warning(d.line, quoted(d.text()) +
                                 ": lb's TCP check is a connect; sending and expecting data "
                                 "is not done");
    }

    void on_timeout(const Directive& d, std::string_view which, std::size_t value_at) {
        const std::string_view text = d.word(value_at);
        const auto parsed = parse_time(text);
        const auto set = [&](std::optional<Located<Duration>>& into) {
            if (!parsed) {
                out_.warning(d.line, quoted(d.text()) +
                                         ": not a time HAProxy accepts (a number with an optional "
                                         "unit us, ms, s, m, h, d); ignored");
            } else if (parsed->count() == 0) {
                out_.warning(d.line, quoted(d.text()) +
                                         ": lb has no infinite timeouts; lb's default is kept");
            } else {
                into = Located<Duration>{*parsed, d.line};
            }
        };
        if (which == "connect") return set(proxy_.timeout_connect);
        if (which == "client") return set(proxy_.timeout_client);
        if (which == "server") return set(proxy_.timeout_server);
        if (which == "check") return set(proxy_.timeout_check);
        if (which == "tunnel") return set(proxy_.timeout_tunnel);
        if (which == "queue")
            return out_.warning(d.line, quoted(d.text()) +
                                            ": lb does not queue connections (a client over "
                                            "the limit is closed); ignored");
        out_.warning(d.line, quoted(d.text()) + ": no equivalent in lb; ignored");
    }

    void on_retries(const Directive& d) {
        const auto value = parse_integer(d.word(1), 0, kIntMax);
        if (!value) {
            out_.warning(d.line, quoted(d.text()) + ": not a number; ignored");
            return;
        }
        proxy_.retries = Located<int>{static_cast<int>(*value), d.line};
        out_.warning(d.line, quoted(d.text()) +
                                 ": lb does not retry a site; a failed connect is retried once "
                                 "on the standby when retries > 0 and option redispatch is set "
                                 "(policy.retry_on_standby)");
    }

    void on_stats(const Directive& d) {
        const std::string_view what = d.word(1);
        if (what == "enable" || what == "uri") {
            proxy_.stats_page = true;
            return;
        }
        if (what == "auth" || what == "admin" || what == "realm" || what == "refresh" ||
            what == "hide-version" || what == "show-legends" || what == "show-node" ||
            what == "scope" || what == "show-desc" || what == "bind-process" ||
            what == "http-request" || what == "show-modules")
            out_.warning(d.line, quoted(d.text()) +
                                     ": lb's status page has a fixed form and no "
                                     "authentication; ignored");
        else
            out_.warning(d.line, ignored(d, "stats"));
    }

    Proxy& proxy_;
    ImportDiagnostics& out_;
};

ProxyKind proxy_kind(SectionKind kind) {
    switch (kind) {
        case SectionKind::Frontend:
            return ProxyKind::Frontend;
        case SectionKind::Backend:
            return ProxyKind::Backend;
        case SectionKind::Listen:
            return ProxyKind::Listen;
        default:
            return ProxyKind::Defaults;
    }
}

}  // namespace

Model read_model(const Document& document, ImportDiagnostics& out) {
    Model model;
    Proxy defaults;  // the last defaults section (HAProxy's built-in values before any)
    std::map<std::string, Proxy> named_defaults;
    for (const Section& section : document.sections) {
        if (section.kind == SectionKind::Global) {
            read_global(section, model.global, out);
            continue;
        }
        if (section.kind == SectionKind::Other) {
            out.warning(section.line, "section '" + section.keyword +
                                          (section.name.empty() ? "" : " " + section.name) +
                                          "': no equivalent in lb; the whole section is ignored");
            continue;
        }
        // "from NAME": the named defaults section instead of the last one.
        const Proxy* base = &defaults;
        if (section.arguments.size() >= 2 && section.arguments[0] == "from") {
            const auto it = named_defaults.find(section.arguments[1]);
            if (it != named_defaults.end())
                base = &it->second;
            else
                out.warning(section.line, "no defaults section named " +
                                              quoted(section.arguments[1]) +
                                              "; the last defaults section is used");
        } else if (!section.arguments.empty()) {
            out.warning(section.line, "words after the section's name are not understood: " +
                                          quoted(section.arguments[0]) + "; ignored");
        }
        Proxy proxy = *base;
        proxy.kind = proxy_kind(section.kind);
        proxy.name = section.name;
        proxy.line = section.line;
        proxy.binds.clear();
        proxy.servers.clear();
        proxy.stats_page = false;
        if (proxy.kind != ProxyKind::Defaults && proxy.name.empty())
            out.warning(section.line, section.keyword + " without a name (HAProxy refuses it)");
        ProxyReader reader(proxy, out);
        for (const Directive& d : section.directives) reader.read(d);
        if (proxy.kind == ProxyKind::Defaults) {
            if (!section.name.empty()) named_defaults[section.name] = proxy;
            defaults = std::move(proxy);
        } else {
            model.proxies.push_back(std::move(proxy));
        }
    }
    return model;
}

}  // namespace lb::config::haproxy
