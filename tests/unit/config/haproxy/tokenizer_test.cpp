// haproxy.cfg's lexical rules (config/haproxy/tokenizer.h), as HAProxy applies them: blanks,
// quotes, escapes, comments and environment variables, with the line numbers kept.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/haproxy/tokenizer.h"
#include "tests/unit/config/haproxy/haproxy_test_support.h"

namespace lb::config::haproxy {
namespace {

using Words = std::vector<std::string>;

struct Lexed {
    std::vector<Line> lines;
    ImportDiagnostics diagnostics;
};

Lexed lex(std::string_view text, std::map<std::string, std::string> vars = {}) {
    Lexed out;
    out.lines = tokenize(text, testing::environment(std::move(vars)), out.diagnostics);
    return out;
}

Words words_of(std::string_view line, std::map<std::string, std::string> vars = {}) {
    const Lexed lexed = lex(line, std::move(vars));
    INFO(lexed.diagnostics.to_string("haproxy.cfg"));
    REQUIRE(lexed.lines.size() == 1);
    return lexed.lines.front().words;
}

TEST_CASE("haproxy tokenizer: words split on blanks, comments end the line, line numbers kept",
          "[unit][config][import]") {
    const Lexed lexed = lex("global\n\n  # a comment\n\tmaxconn   4096 # trailing\r\nbind :80#x\n");
    REQUIRE(lexed.lines.size() == 3);
    CHECK(lexed.lines[0].number == 1);
    CHECK(lexed.lines[0].words == Words{"global"});
    CHECK(lexed.lines[1].number == 4);
    CHECK(lexed.lines[1].words == Words{"maxconn", "4096"});
    CHECK(lexed.lines[2].number == 5);
    CHECK(lexed.lines[2].words == Words{"bind", ":80"});
    CHECK(lexed.diagnostics.all().empty());
}

TEST_CASE("haproxy tokenizer: single quotes keep everything, double quotes keep blanks and '#'",
          "[unit][config][import]") {
    CHECK(words_of(R"(a 'b c\n $X #' d)") == Words{"a", R"(b c\n $X #)", "d"});
    CHECK(words_of(R"(a "b c # d" e)") == Words{"a", "b c # d", "e"});
    CHECK(words_of(R"(ab"c d"'e f'g)") == Words{"abc de fg"});
    CHECK(words_of(R"(x "" '')") == Words{"x", "", ""});
    CHECK(words_of(R"("a \"quoted\" word")") == Words{R"(a "quoted" word)"});
}

TEST_CASE("haproxy tokenizer: backslash escapes outside single quotes", "[unit][config][import]") {
    CHECK(words_of(R"(Host:\ x)") == Words{"Host: x"});
    CHECK(words_of(R"(a\#b \\ \' \" \$)") == Words{"a#b", "\\", "'", "\"", "$"});
    CHECK(words_of(R"(HTTP/1.1\r\nHost:\ gw)") == Words{"HTTP/1.1\r\nHost: gw"});
    CHECK(words_of(R"(\x41\x62 "\t")") == Words{"Ab", "\t"});
    CHECK(words_of(R"(c:\path)") == Words{R"(c:\path)"});  // not an escape: kept
    CHECK(words_of("end\\") == Words{"end\\"});
}

TEST_CASE("haproxy tokenizer: environment variables expand inside double quotes only",
          "[unit][config][import]") {
    const std::map<std::string, std::string> vars{
        {"ADDR", "10.0.0.1"}, {"PORT", "443"}, {"LIST", " a  b c "}, {"EMPTY", ""}};
    CHECK(words_of(R"(bind "${ADDR}:${PORT}")", vars) == Words{"bind", "10.0.0.1:443"});
    CHECK(words_of(R"("$ADDR/x" "$" "a$")", vars) == Words{"10.0.0.1/x", "$", "a$"});
    CHECK(words_of(R"(${ADDR} '${ADDR}')", vars) == Words{"${ADDR}", "${ADDR}"});
    CHECK(words_of(R"("${MISSING-fallback value}" "${EMPTY-unused}")", vars) ==
          Words{"fallback value", ""});
    CHECK(words_of(R"(x "${LIST[*]}" y)", vars) == Words{"x", "a", "b", "c", "y"});
    CHECK(words_of(R"("\${ADDR}")", vars) == Words{"${ADDR}"});
}

TEST_CASE("haproxy tokenizer: an unset variable expands to nothing, with a warning on its line",
          "[unit][config][import]") {
    const Lexed lexed = lex("global\n  log \"${NOPE}:514\" local0\n");
    REQUIRE(lexed.lines.size() == 2);
    CHECK(lexed.lines[1].words == Words{"log", ":514", "local0"});
    REQUIRE(lexed.diagnostics.all().size() == 1);
    CHECK(lexed.diagnostics.all()[0].to_string("haproxy.cfg") ==
          "haproxy.cfg:2: warning: environment variable NOPE is not set: expanded to an empty "
          "string");
}

TEST_CASE("haproxy tokenizer: lines HAProxy refuses are errors with their line, and left out",
          "[unit][config][import]") {
    const Lexed lexed = lex(
        "a 'open\nb \"open\nc \\xZZ\nd \"${UNCLOSED\ne \"${}\"\nf ok\n" + std::string("g \0 h\n", 6));
    REQUIRE(lexed.lines.size() == 1);
    CHECK(lexed.lines[0].words == Words{"f", "ok"});
    const auto& all = lexed.diagnostics.all();
    REQUIRE(all.size() == 6);
    CHECK(all[0].to_string("c") == "c:1: error: unterminated single quote: HAProxy refuses this "
                                   "line; it is left out");
    CHECK(all[1].line == 2);
    CHECK(all[1].message.starts_with("unterminated double quote"));
    CHECK(all[2].line == 3);
    CHECK(all[2].message.starts_with("\\x must be followed by two hexadecimal digits"));
    CHECK(all[3].line == 4);
    CHECK(all[4].line == 5);
    CHECK(all[5].line == 7);
    CHECK(all[5].message.starts_with("NUL byte"));
}

}  // namespace
}  // namespace lb::config::haproxy
