#include "config/haproxy/proxies.h"

#include <algorithm>
#include <map>
#include <regex>
#include <utility>

#include "config/haproxy/directive_words.h"
#include "config/haproxy/global_section.h"
#include "config/haproxy/server_options.h"
#include "config/haproxy/values.h"
#include "health/status_ranges.h"

namespace lb::config::haproxy {
namespace {

// The status codes (100..599) a HAProxy `rstatus` regex accepts, in lb's expect_status grammar;
// "" when none does or the regex is unusable.
std::string status_codes_matching(const std::string& pattern) {
    if (pattern.empty() || pattern.size() > 64) return {};
    std::regex regex;
    try {
        regex = std::regex(pattern, std::regex::ECMAScript | std::regex::nosubs);
    } catch (const std::regex_error&) {
        return {};
    }
    std::string out;
    int run_start = -1;
    const auto close_run = [&](int last) {
        if (run_start < 0) return;
        if (!out.empty()) out += ',';
        out += std::to_string(run_start);
        if (last != run_start) out += "-" + std::to_string(last);
        run_start = -1;
    };
    for (int code = 100; code <= 599; ++code) {
        bool match = false;
        try {
            match = std::regex_search(std::to_string(code), regex);
        } catch (const std::regex_error&) {
            return {};
        }
        if (match && run_start < 0) run_start = code;
        if (!match) close_run(code - 1);
    }
    close_run(599);
    return out;
}

bool has_regex_metacharacters(std::string_view text) {
    return text.find_first_of("^$.[]()*+?{}|\\") != std::string_view::npos;
}

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

    // option httpchk [[METHOD] URI [VERSION]]; VERSION may carry "\r\n"-separated headers.
    void option_httpchk(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        HealthCheck check;
        check.type = CheckType::Http;
        check.line = d.line;
        const std::size_t args = d.words.size() - 2;
        if (args == 1) {
            check.uri = d.words[2];
        } else if (args >= 2) {
            check.method = d.words[2];
            check.uri = d.words[3];
        }
        if (args >= 3) {
            std::string_view rest = d.words[4];
            const auto first = rest.find("\r\n");
            rest = first == std::string_view::npos ? std::string_view() : rest.substr(first + 2);
            while (!rest.empty()) {
                const auto end = rest.find("\r\n");
                header(d, rest.substr(0, end), check);
                rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
            }
        }
        if (args > 3)
            out_.warning(d.line, "option httpchk: words after the version are not HAProxy's "
                                 "syntax; ignored");
        // The expectation set by http-check expect stays (it may come before or after).
        check.expect_status = proxy_.check.expect_status;
        check.expect_body = proxy_.check.expect_body;
        proxy_.check = std::move(check);
        method_note(d.line, proxy_.check.method);
    }

    void method_note(int line, std::string_view method) {
        if (method != "GET" && method != "OPTIONS" && method != "HEAD")
            out_.warning(line, "health check method " + std::string(method) +
                                   ": lb's HTTP checks send GET");
    }

    void header(const Directive& d, std::string_view line, HealthCheck& check) {
        if (line.empty()) return;
        const auto colon = line.find(':');
        std::string name(line.substr(0, colon));
        std::string_view value =
            colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
        if (lower == "host")
            check.host = std::string(value);
        else
            out_.warning(d.line, "health check header " + quoted(name) +
                                     ": lb's HTTP checks send only Host; ignored");
    }

    void on_http_check(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        const std::string_view what = d.word(1);
        if (what == "send") return http_check_send(d);
        if (what == "expect") return http_check_expect(d);
        if (what == "comment") return;
        out_.warning(d.line, quoted(d.text()) + ": lb's HTTP check is one GET and one expected "
                                                "answer; ignored");
    }

    // http-check send [meth M] [uri U] [ver V] [hdr NAME VALUE]... [body B]
    void http_check_send(const Directive& d) {
        HealthCheck& check = proxy_.check;
        if (check.type != CheckType::Http)
            out_.warning(d.line, "http-check send without option httpchk: HAProxy does not "
                                 "send it; lb uses it for an HTTP check");
        if (check.type != CheckType::Http) {
            check.type = CheckType::Http;
            check.line = d.line;
        }
        for (std::size_t i = 2; i < d.words.size(); ++i) {
            const std::string& key = d.words[i];
            const bool has_value = i + 1 < d.words.size();
            if (key == "meth" && has_value) {
                check.method = d.words[++i];
                method_note(d.line, check.method);
            } else if (key == "uri" && has_value) {
                check.uri = d.words[++i];
            } else if (key == "ver" && has_value) {
                ++i;
            } else if (key == "hdr" && i + 2 < d.words.size()) {
                header(d, d.words[i + 1] + ": " + d.words[i + 2], check);
                i += 2;
            } else if ((key == "body" || key == "uri-lf" || key == "body-lf") && has_value) {
                out_.warning(d.line, "http-check send " + key +
                                         ": lb's HTTP checks send no body and a fixed path; "
                                         "ignored");
                ++i;
            } else {
                out_.warning(d.line, "http-check send " + quoted(key) + ": not understood; ignored");
            }
        }
    }

    // http-check expect [options] [!] MATCH PATTERN
    void http_check_expect(const Directive& d) {
        HealthCheck& check = proxy_.check;
        std::size_t i = 2;
        while (i + 1 < d.words.size() &&
               (d.words[i] == "min-recv" || d.words[i] == "comment" || d.words[i] == "ok-status" ||
                d.words[i] == "error-status" || d.words[i] == "tout-status" ||
                d.words[i] == "on-success" || d.words[i] == "on-error" ||
                d.words[i] == "status-code"))
            i += 2;
        if (i < d.words.size() && d.words[i] == "!") {
            out_.warning(d.line, quoted(d.text()) + ": lb cannot negate an expectation; ignored");
            return;
        }
        const std::string_view match = d.word(i);
        const std::string_view pattern = d.word(i + 1);
        if (pattern.empty() && match != "status") {
            out_.warning(d.line, quoted(d.text()) + ": incomplete; ignored");
            return;
        }
        if (check.expect_status || check.expect_body) {
            out_.warning(d.line, quoted(d.text()) +
                                     ": lb checks one expectation per site; the first one is "
                                     "kept, this one ignored");
            return;
        }
        if (match == "status") {
            if (health::StatusRanges::parse(pattern))
                check.expect_status = Located<std::string>{std::string(pattern), d.line};
            else
                out_.warning(d.line, quoted(d.text()) +
                                         ": not a list of status codes lb can read; ignored");
        } else if (match == "rstatus") {
            const std::string codes = status_codes_matching(std::string(pattern));
            if (codes.empty())
                out_.warning(d.line, quoted(d.text()) +
                                         ": the regex matches no status code lb can list; "
                                         "ignored");
            else
                check.expect_status = Located<std::string>{codes, d.line};
        } else if (match == "string") {
            check.expect_body = Located<std::string>{std::string(pattern), d.line};
        } else if (match == "rstring" && !has_regex_metacharacters(pattern)) {
            check.expect_body = Located<std::string>{std::string(pattern), d.line};
        } else {
            out_.warning(d.line, quoted(d.text()) +
                                     ": lb expects a status list or a substring of the body; "
                                     "ignored");
        }
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
