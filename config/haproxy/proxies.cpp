#include "config/haproxy/proxies.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <regex>
#include <utility>

#include "config/haproxy/values.h"
#include "health/status_ranges.h"

namespace lb::config::haproxy {
namespace {

constexpr int kIntMax = std::numeric_limits<int>::max();

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Options of `bind` lines that take a value (the value is skipped with the option).
constexpr std::string_view kBindOptionsWithValue[] = {
    "alpn",      "backlog",   "ca-file",       "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
    "ciphers",   "ciphersuites", "crl-file",   "crt",           "crt-ignore-err", "crt-list",
    "curves",    "ecdhe",     "gid",           "group",         "id",           "interface",
    "level",     "maxconn",   "mode",          "mss",           "name",         "namespace",
    "nice",      "npn",       "process",       "proto",         "severity-output", "sigalgs",
    "client-sigalgs", "ssl-max-ver", "ssl-min-ver", "tcp-ut",   "thread",       "uid",
    "user",      "verify",    "quic-cc-algo",  "label"};

// Options of `server`/`default-server` lines that take a value, besides those lb reads.
constexpr std::string_view kServerOptionsWithValue[] = {
    "addr",          "agent-addr",      "agent-inter",     "agent-port",     "agent-send",
    "alpn",          "check-alpn",      "check-proto",     "ciphers",        "ciphersuites",
    "client-sigalgs", "cookie",         "crl-file",        "crt",            "curves",
    "error-limit",   "hash-key",        "id",              "init-addr",      "log-proto",
    "max-reuse",     "maxconn",         "maxqueue",        "minconn",        "namespace",
    "npn",           "observe",         "on-error",        "on-marked-down", "on-marked-up",
    "pool-conn-name", "pool-low-conn",  "pool-max-conn",   "pool-purge-delay", "proto",
    "proxy-v2-options", "redir",        "resolve-net",     "resolve-opts",   "resolve-prefer",
    "resolvers",     "shard",           "sigalgs",         "slowstart",      "sni",
    "socks4",        "source",          "ssl-max-ver",     "ssl-min-ver",    "tcp-ut",
    "track",         "usesrc",          "weight",          "ws",             "guid",
    "set-proxy-v2-tlv-fmt", "check-pool-conn-name", "strict-maxconn"};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view word) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// Why a directive lb cannot honour is ignored, for the common ones; "" for the generic message.
std::string reason_for(std::string_view keyword) {
    if (keyword == "acl") return "lb makes no per-connection decisions (no ACLs)";
    if (keyword == "balance")
        return "lb sends every connection to the active site; there is nothing to balance";
    if (keyword == "stick-table" || keyword == "stick" || keyword == "stick on" ||
        keyword == "stick match" || keyword == "stick store-request")
        return "lb has no stick tables: every connection goes to the active site";
    if (keyword == "http-request" || keyword == "http-response" || keyword == "http-after-response" ||
        keyword == "http-reuse" || keyword == "compression" || keyword == "capture" ||
        keyword == "cookie" || keyword == "errorfile" || keyword == "errorloc" ||
        keyword == "redirect" || keyword == "monitor-uri" || keyword == "http-error" ||
        keyword == "errorfiles" || keyword == "filter" || keyword == "unique-id-format" ||
        keyword == "unique-id-header")
        return "HTTP processing: lb forwards the connection's bytes as they are";
    if (keyword == "tcp-request" || keyword == "tcp-response")
        return "lb has no connection rules";
    if (keyword == "log" || keyword == "log-format" || keyword == "log-tag" ||
        keyword == "error-log-format" || keyword == "log-format-sd" || keyword == "log-send-hostname")
        return "lb logs every connection in its own tcplog-like format to stderr (journald under "
               "systemd)";
    if (keyword == "daemon" || keyword == "master-worker" || keyword == "user" ||
        keyword == "group" || keyword == "uid" || keyword == "gid" || keyword == "chroot" ||
        keyword == "pidfile")
        return "lb runs in the foreground under its service manager, which sets its user";
    if (keyword == "fullconn" || keyword == "hash-type" || keyword == "hash-balance-factor")
        return "lb sends every connection to the active site";
    if (keyword == "persist" || keyword == "use-server" || keyword == "force-persist" ||
        keyword == "ignore-persist")
        return "lb has no persistence rules: every connection goes to the active site";
    return {};
}

std::string ignored(const Directive& d, std::string_view keyword) {
    const std::string reason = reason_for(keyword);
    return quoted(d.text()) + ": " + (reason.empty() ? "no equivalent in lb" : reason) +
           "; ignored";
}

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
        server_options(d, 3, server.options);
        proxy_.servers.push_back(std::move(server));
    }

    void on_default_server(const Directive& d) {
        if (proxy_.kind == ProxyKind::Frontend) return misplaced(d, "a frontend");
        server_options(d, 1, proxy_.default_server);
    }

    void server_options(const Directive& d, std::size_t from, ServerOptions& options) {
        const auto value_of = [&](std::size_t& i) -> std::string_view {
            if (i + 1 >= d.words.size()) {
                out_.warning(d.line, "server option " + quoted(d.words[i]) +
                                         " needs a value; ignored");
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
                out_.warning(d.line, option + " " + std::string(text) +
                                         ": not a positive integer; ignored");
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
                    out_.warning(d.line, "port " + std::string(text) +
                                             ": not a port (1..65535); ignored");
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
                    out_.warning(d.line, "verify " + std::string(text) +
                                             ": expected none or required; ignored");
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
                out_.warning(d.line, "server option 'ssl': lb does not encrypt towards the site; "
                                     "connections are forwarded as the client sent them");
            } else if (contains(kServerOptionsWithValue, option)) {
                const std::string_view text = value_of(i);
                if (option == "weight" || option == "cookie" || option == "id") continue;
                out_.warning(d.line, "server option " + quoted(option + " " + std::string(text)) +
                                         " has no equivalent in lb; ignored");
            } else {
                out_.warning(d.line, "server option " + quoted(option) +
                                         " has no equivalent in lb; ignored");
            }
        }
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

void read_stats_socket(const Directive& d, HaproxyGlobal& global, ImportDiagnostics& out) {
    if (global.stats_socket) {
        out.warning(d.line, quoted(d.text()) + ": lb has one admin socket, the first one (line " +
                                std::to_string(global.stats_socket->line) + "); ignored");
        return;
    }
    std::string path(d.word(2));
    if (path.starts_with("unix@")) path = path.substr(5);
    const bool tcp = path.find('@') != std::string::npos ||
                     std::holds_alternative<SocketAddress>(parse_bind_address(path));
    if (path.empty() || tcp) {
        out.warning(d.line, quoted(d.text()) +
                                ": lb's admin socket is a Unix socket; lb's default path is kept");
        return;
    }
    global.stats_socket = Located<std::string>{path, d.line};
    for (std::size_t i = 3; i < d.words.size(); ++i) {
        const std::string& option = d.words[i];
        const std::string_view value = d.word(i + 1);
        if (option == "mode") {
            ++i;
            const auto mode = value.size() <= 4 && !value.empty() &&
                                      value.find_first_not_of("01234567") == std::string_view::npos
                                  ? parse_integer(value, 0, 07777)
                                  : std::nullopt;
            if (!mode) {
                out.warning(d.line, "stats socket mode " + std::string(value) +
                                        ": not an octal mode; lb's default is kept");
                continue;
            }
            // The digits are octal: "660" is 0660.
            unsigned octal = 0;
            for (const char c : value) octal = octal * 8 + static_cast<unsigned>(c - '0');
            global.stats_socket_mode = Located<unsigned>{octal, d.line};
        } else if (option == "level") {
            ++i;
            if (value != "admin")
                out.warning(d.line, "stats socket level " + std::string(value) +
                                        ": lb's admin socket gives every client every command "
                                        "(level admin); protect it with its mode");
        } else if (option == "expose-fd") {
            ++i;
            out.warning(d.line, "stats socket expose-fd " + std::string(value) +
                                    ": lb reloads in place (SIGHUP), it hands no sockets over; "
                                    "ignored");
        } else {
            const bool has_value = contains(kBindOptionsWithValue, option);
            out.warning(d.line, "stats socket option " +
                                    quoted(has_value ? option + " " + std::string(value) : option) +
                                    " has no equivalent in lb; ignored");
            if (has_value) ++i;
        }
    }
}

void read_global(const Section& section, HaproxyGlobal& global, ImportDiagnostics& out) {
    for (const Directive& d : section.directives) {
        const std::string& keyword = d.keyword();
        if (keyword == "maxconn") {
            if (const auto value = parse_integer(d.word(1), 1, kIntMax))
                global.maxconn = Located<int>{static_cast<int>(*value), d.line};
            else
                out.warning(d.line, quoted(d.text()) + ": not a positive integer; ignored");
        } else if (keyword == "nbthread") {
            if (const auto value = parse_integer(d.word(1), 1, 1024))
                global.nbthread = Located<int>{static_cast<int>(*value), d.line};
            else
                out.warning(d.line, quoted(d.text()) + ": not a thread count (1..1024); ignored");
        } else if (keyword == "stats" && d.word(1) == "socket") {
            read_stats_socket(d, global, out);
        } else if (keyword == "stats" && d.word(1) == "timeout") {
            out.warning(d.line, quoted(d.text()) +
                                    ": lb's admin sessions time out as set with 'set timeout cli'; "
                                    "ignored");
        } else {
            out.warning(d.line, ignored(d, keyword));
        }
    }
}

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
