// HAProxy's preprocessor in `lb import-haproxy`: which lines .if/.elif/.else/.endif keep, the
// conditions (operators, predicates, the environment), messages, and what makes HAProxy refuse
// a file. tests/e2e/import_haproxy_test.cpp checks the same conditions against a real HAProxy.
#include "config/haproxy/preprocessor.h"

#include <catch2/catch.hpp>

#include "tests/unit/config/haproxy/haproxy_test_support.h"

namespace lb::config::haproxy {
namespace {

using testing::any_has;
using testing::run_import;

bool evaluate(std::string_view condition, std::map<std::string, std::string> vars = {},
              ImportDiagnostics* report = nullptr) {
    ImportDiagnostics local;
    ImportDiagnostics& out = report ? *report : local;
    const Environment env = testing::environment(std::move(vars));
    Preprocessor preprocessor(env, out);
    return preprocessor.evaluate(condition, 1);
}

bool refused(std::string_view condition) {
    ImportDiagnostics out;
    (void)evaluate(condition, {}, &out);
    return out.has_errors();
}

TEST_CASE("preprocessor: numbers, !, && and || with their precedence, parentheses",
          "[unit][config][import]") {
    CHECK(evaluate("1"));
    CHECK_FALSE(evaluate("0"));
    CHECK(evaluate("42"));
    CHECK_FALSE(evaluate("000"));
    CHECK(evaluate("!0"));
    CHECK_FALSE(evaluate("!!0"));
    CHECK(evaluate("1 || 0 && 0"));  // && binds tighter
    CHECK_FALSE(evaluate("(1 || 0) && 0"));
    CHECK(evaluate("(1 && 0) || 1"));
    CHECK(evaluate("!(0)"));
}

TEST_CASE("preprocessor: defined, streq and strneq read the import's environment",
          "[unit][config][import]") {
    CHECK(evaluate("defined(SITE)", {{"SITE", "a"}}));
    CHECK(evaluate("defined(EMPTY)", {{"EMPTY", ""}}));  // set, even if empty
    CHECK_FALSE(evaluate("defined(SITE)"));
    CHECK(evaluate("streq(a,a)"));
    CHECK(evaluate("streq( a , a )"));  // blanks around arguments do not count
    CHECK_FALSE(evaluate("streq(a,b)"));
    CHECK(evaluate("strneq(a,b)"));
    CHECK(evaluate("defined(A) && !defined(B)", {{"A", "1"}}));
}

TEST_CASE(
    "preprocessor: conditions on the file's HAProxy are evaluated as Debian 12's 2.6, "
    "with a warning",
    "[unit][config][import]") {
    ImportDiagnostics out;
    CHECK(evaluate("version_atleast(2.4)", {}, &out));
    CHECK(any_has({out.to_string("haproxy.cfg")},
                  {"haproxy.cfg:1: warning: condition 'version_atleast(2.4)' asks about the "
                   "HAProxy the file is for (version_atleast(2.4)); evaluated as Debian 12's "
                   "HAProxy 2.6.12 (OpenSSL 3.0.22): true"}));
    CHECK(evaluate("version_atleast(2.6)"));
    CHECK(evaluate("version_atleast(2.6.12)"));
    CHECK_FALSE(evaluate("version_atleast(2.6.13)"));
    CHECK_FALSE(evaluate("version_atleast(2.8)"));
    CHECK(evaluate("version_before(2.8-dev1)"));
    CHECK_FALSE(evaluate("version_before(2.6)"));
    CHECK(evaluate("feature(OPENSSL)"));
    CHECK(evaluate("feature(LUA) && feature(PROMEX)"));
    CHECK_FALSE(evaluate("feature(QUIC)"));
    CHECK(evaluate("openssl_version_atleast(3.0.0)"));
    CHECK_FALSE(evaluate("openssl_version_before(1.1.1)"));
    CHECK(evaluate("ssllib_name_startswith(Open)"));
    CHECK_FALSE(evaluate("ssllib_name_startswith(BoringSSL)"));
    // A condition that does not ask about HAProxy says nothing.
    ImportDiagnostics quiet;
    (void)evaluate("streq(a,b)", {}, &quiet);
    CHECK(quiet.all().empty());
}

TEST_CASE("preprocessor: what HAProxy cannot parse is an error", "[unit][config][import]") {
    CHECK(refused("enabled(POLL)"));  // not a predicate of HAProxy 2.6
    CHECK(refused("defined(A"));
    CHECK(refused("(1 && 0"));
    CHECK(refused("1 &&"));
    CHECK(refused("yes"));
    CHECK(refused("streq(a)"));
    CHECK(refused("1 1"));
    CHECK(refused(std::string(200, '(') + "1" + std::string(200, ')')));  // no stack overflow
    CHECK_FALSE(refused("!(defined(A) || streq(x,y)) && 1"));
}

TEST_CASE("preprocessor: .if, .elif, .else and .endif keep one branch, nested blocks too",
          "[unit][config][import]") {
    const std::string cfg =
        "frontend web\n"
        "    bind :443\n"
        ".if defined(TLS_PORT)\n"
        "    bind :8443\n"
        ".elif streq(\"${MODE}\",alt)\n"
        "    bind :9443\n"
        ".else\n"
        "    bind :7443\n"
        ".if 0\n"
        "    bind :1\n"
        ".else\n"
        "    bind :6443\n"
        ".endif\n"
        ".endif\n"
        "    default_backend app\n"
        "backend app\n" +
        std::string(testing::kTwoServers);
    const auto binds = [&](std::map<std::string, std::string> vars) {
        auto run = run_import(cfg, std::move(vars));
        INFO(run.report);
        std::vector<std::string> out;
        if (run.config)
            for (const auto& listener : run.config->listeners)
                out.push_back(listener.bind.to_string());
        return out;
    };
    CHECK(binds({{"TLS_PORT", "1"}}) == std::vector<std::string>{"0.0.0.0:443", "0.0.0.0:8443"});
    CHECK(binds({{"MODE", "alt"}}) == std::vector<std::string>{"0.0.0.0:443", "0.0.0.0:9443"});
    CHECK(binds({}) == std::vector<std::string>{"0.0.0.0:443", "0.0.0.0:7443", "0.0.0.0:6443"});
}

TEST_CASE("preprocessor: messages are reported, .alert and unbalanced blocks refuse the file",
          "[unit][config][import]") {
    const std::string body = "frontend web\n    bind :443\n    default_backend app\nbackend app\n" +
                             std::string(testing::kTwoServers);
    const auto notice = run_import(".if 1\n.notice \"switching sites\"\n.endif\n" + body);
    INFO(notice.report);
    CHECK(notice.config);
    CHECK(any_has(notice.warnings,
                  {"haproxy.cfg:2: warning: HAProxy prints 'switching sites' (.notice)"}));
    const auto dropped = run_import(".if 0\n.alert \"never\"\n.endif\n" + body);
    INFO(dropped.report);
    CHECK(dropped.config);  // an .alert in a dropped block does nothing
    CHECK_FALSE(any_has(dropped.warnings, {"never"}));

    for (const std::string& bad :
         {std::string(".alert \"not for this host\"\n"), std::string(".if 1\n"),
          std::string(".endif\n"), std::string(".else\n"),
          std::string(".if 1\n.else\n.else\n.endif\n"), std::string(".if\n.endif\n"),
          std::string(".unknown\n")}) {
        const auto run = run_import(bad + body);
        INFO(bad << run.report);
        CHECK_FALSE(run.toml);
        CHECK(any_has(run.errors, {"HAProxy"}));
    }
}

}  // namespace
}  // namespace lb::config::haproxy
