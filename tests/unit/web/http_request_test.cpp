// The request-head parser: what completes, what waits for more bytes, and what is rejected at
// once (so garbage gets its 400 without waiting for the timeout).
#include "lb/web/http_request.h"

#include <catch2/catch.hpp>
#include <iomanip>
#include <iterator>
#include <random>
#include <string>

namespace lb::web {
namespace {

using Verdict = RequestParse::Verdict;

TEST_CASE("request heads: complete, incomplete and bad", "[unit][metrics]") {
    struct Row {
        const char* what;
        std::string input;
        Verdict verdict;
        const char* method = "";
        const char* path = "";
    };
    const Row rows[] = {
        {"simple GET", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Verdict::Complete, "GET",
         "/metrics"},
        {"HTTP/1.0 without fields", "GET / HTTP/1.0\r\n\r\n", Verdict::Complete, "GET", "/"},
        {"bare LF lines", "HEAD /status.json HTTP/1.1\nAccept: */*\n\n", Verdict::Complete, "HEAD",
         "/status.json"},
        {"query dropped", "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", Verdict::Complete, "GET",
         "/metrics"},
        {"absolute form", "GET http://lb:9100/status.json HTTP/1.1\r\n\r\n", Verdict::Complete,
         "GET", "/status.json"},
        {"absolute form without path", "GET HTTP://lb:9100 HTTP/1.1\r\n\r\n", Verdict::Complete,
         "GET", "/"},
        {"leading empty line", "\r\nGET / HTTP/1.1\r\n\r\n", Verdict::Complete, "GET", "/"},
        {"other method", "DELETE /metrics HTTP/1.1\r\n\r\n", Verdict::Complete, "DELETE",
         "/metrics"},
        {"empty value", "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", Verdict::Complete, "GET", "/"},
        {"nothing yet", "", Verdict::Incomplete},
        {"partial method", "GE", Verdict::Incomplete},
        {"partial version", "GET / HTTP/1", Verdict::Incomplete},
        {"request line only", "GET / HTTP/1.1\r\n", Verdict::Incomplete},
        {"partial field", "GET / HTTP/1.1\r\nHost: exa", Verdict::Incomplete},
        {"CR of the last line", "GET / HTTP/1.1\r\nHost: x\r\n\r", Verdict::Incomplete},
        {"TLS hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01", 8), Verdict::BadRequest},
        {"binary after a method", std::string("GET\x01", 4), Verdict::BadRequest},
        {"lowercase version", "GET / http/1.1\r\n\r\n", Verdict::BadRequest},
        {"missing target", "GET  HTTP/1.1\r\n\r\n", Verdict::BadRequest},
        {"missing version", "GET /\r\n\r\n", Verdict::BadRequest},
        {"extra after version", "GET / HTTP/1.1 x\r\n\r\n", Verdict::BadRequest},
        {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", Verdict::BadRequest},
        {"obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", Verdict::BadRequest},
        {"field without colon", "GET / HTTP/1.1\r\nnonsense\r\n\r\n", Verdict::BadRequest},
        {"bare CR", "GET / HTTP/1.1\rHost: x\r\n\r\n", Verdict::BadRequest},
        {"control in value", std::string("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"), Verdict::BadRequest},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Verdict::VersionUnsupported},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const RequestParse parse = parse_request_head(row.input);
        CHECK(parse.verdict == row.verdict);
        if (row.verdict == Verdict::Complete) {
            CHECK(parse.head.method == row.method);
            CHECK(parse.head.path == row.path);
            CHECK(parse.consumed == row.input.size());
        }
    }
}

TEST_CASE("a complete head reports where it ends", "[unit][metrics]") {
    const std::string head = "GET / HTTP/1.0\r\n\r\n";
    const RequestParse parse = parse_request_head(head + "trailing body");
    REQUIRE(parse.verdict == Verdict::Complete);
    CHECK(parse.consumed == head.size());
    CHECK(parse.head.minor_version == 0);
}

// The endpoint parses whatever has arrived so far, so the verdict on a prefix must hold for the
// whole: a prefix rejected stays rejected, a prefix complete stays complete at the same length.
TEST_CASE("verdicts on a prefix hold for every longer input", "[unit][metrics]") {
    std::mt19937 random(20261125);  // fixed seed: the same inputs on every run
    const std::string pieces[] = {"GET",      "HEAD",     " ",        "/",    "/metrics",
                                  "?a=b",     "HTTP/1.1", "HTTP/2.0", "\r\n", "\n",
                                  "\r",       "Host: lb", ":",        "\t",   std::string(1, '\0'),
                                  "\x16\x03", "\xff",     "X-A: b"};
    for (int round = 0; round < 3000; ++round) {
        std::string input;
        const auto count = std::uniform_int_distribution<int>(1, 12)(random);
        for (int i = 0; i < count; ++i)
            input += pieces[std::uniform_int_distribution<std::size_t>(
                0, std::size(pieces) - 1)(random)];
        const RequestParse whole = parse_request_head(input);
        for (std::size_t length = 0; length < input.size(); ++length) {
            const RequestParse prefix =
                parse_request_head(std::string_view(input).substr(0, length));
            INFO("input " << std::quoted(input) << ", prefix length " << length);
            if (prefix.verdict == Verdict::Incomplete) continue;
            REQUIRE(whole.verdict == prefix.verdict);
            if (prefix.verdict == Verdict::Complete) REQUIRE(whole.consumed == prefix.consumed);
        }
    }
}

}  // namespace
}  // namespace lb::web
