// HttpResponseParser as a table. Every row is fed whole, byte by byte and in 7-byte pieces and
// must give the same verdict: the parser may not depend on how TCP splits the stream.
#include "health/http_response_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lb::health {
namespace {

using State = HttpResponseParser::State;
using Failure = HttpResponseParser::Failure;

struct Row {
    const char* what;
    std::string input;
    bool eof;  // the server closes after `input`
    State state;
    int status = 0;
    Failure failure = Failure::None;
    std::string needle = "";
    bool matched = true;
    std::size_t max_bytes = HttpResponseParser::kDefaultMaxBytes;
};

HttpResponseParser run(const Row& row, std::size_t piece) {
    HttpResponseParser parser(row.needle, row.max_bytes);
    std::string_view rest = row.input;
    while (!rest.empty()) {
        const std::size_t n = piece == 0 ? rest.size() : std::min(piece, rest.size());
        parser.feed(rest.substr(0, n));
        rest.remove_prefix(n);
    }
    if (row.eof) parser.finish();
    return parser;
}

std::string ok_with_length(std::size_t n) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" +
           std::string(n, 'x');
}

const std::string kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";

TEST_CASE("HTTP responses", "[unit][health]") {
    const std::vector<Row> rows = {
        // Good replies.
        {"200 with Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
         State::Complete, 200},
        {"200 with empty body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false,
         State::Complete, 200},
        {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, State::Complete, 204},
        {"304 has no body whatever Content-Length says",
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", false, State::Complete, 304},
        {"503 is parsed (judging is the prober's job)",
         "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown", false,
         State::Complete, 503},
        {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, State::Complete,
         200},
        {"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, State::Complete,
         200},
        {"HTTP/1.0 body until close", "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nhello world", true,
         State::Complete, 200, Failure::None, "world"},
        {"body until close is incomplete before the close", "HTTP/1.1 200 OK\r\n\r\nhello", false,
         State::Incomplete, 200},
        {"header names are case-insensitive", "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 3\r\n\r\nabc",
         false, State::Complete, 200, Failure::None, "abc"},
        {"equal duplicate Content-Length",
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz", false,
         State::Complete, 200},
        {"100 Continue before the final reply",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false,
         State::Complete, 201},
        {"bytes after the reply are ignored", ok_with_length(2) + "HTTP/1.1 500 junk", false,
         State::Complete, 200},
        {"largest reply under the cap", ok_with_length(60000), false, State::Complete, 200},

        // Chunked.
        {"chunked with extension and trailer", kChunked, false, State::Complete, 200, Failure::None,
         "Wikipedia in\r\n\r\nchunks."},
        {"chunked: needle across chunk boundaries", kChunked, false, State::Complete, 200,
         Failure::None, "kipedia in"},
        {"chunked: chunk framing is not body", kChunked, false, State::Complete, 200, Failure::None,
         "5;name", false},
        {"chunked overrides Content-Length",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n",
         false, State::Complete, 200, Failure::None, "abc"},
        {"chunked in upper case hex",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "A\r\n0123456789\r\n0\r\n\r\n",
         false, State::Complete, 200, Failure::None, "0123456789"},
        {"non-chunked Transfer-Encoding reads until close",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabc", true,
         State::Complete, 200, Failure::None, "abc"},
        {"chunked: bad size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
         State::Failed, 200, Failure::BadChunk},
        {"chunked: empty size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", false,
         State::Failed, 200, Failure::BadChunk},
        {"chunked: data longer than its size",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWikiX\r\n", false,
         State::Failed, 200, Failure::BadChunk},
        {"chunked: absurd size",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "ffffffffffffffffff\r\n",
         false, State::Failed, 200, Failure::BadChunk},
        {"chunked: no last chunk",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nWiki\r\n",
         true, State::Failed, 200, Failure::Truncated},

        // Garbage.
        {"not HTTP", "SSH-2.0-OpenSSH_9.2p1\r\n", false, State::Failed, 0, Failure::BadStatusLine},
        {"binary", std::string("\x16\x03\x01\x00\x00\r\n", 7), false, State::Failed, 0,
         Failure::BadStatusLine},
        {"HTTP/2 status line", "HTTP/2 200\r\n\r\n", false, State::Failed, 0,
         Failure::BadStatusLine},
        {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", false, State::Failed, 0,
         Failure::BadStatusLine},
        {"status 600", "HTTP/1.1 600 Nope\r\n\r\n", false, State::Failed, 0,
         Failure::BadStatusLine},
        {"status letters", "HTTP/1.1 2x0 OK\r\n\r\n", false, State::Failed, 0,
         Failure::BadStatusLine},
        {"lower-case version", "http/1.1 200 OK\r\n\r\n", false, State::Failed, 0,
         Failure::BadStatusLine},
        {"header without colon", "HTTP/1.1 200 OK\r\nbroken header\r\n\r\n", false, State::Failed,
         200, Failure::BadHeader},
        {"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", false,
         State::Failed, 200, Failure::BadHeader},
        {"obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", false, State::Failed, 200,
         Failure::BadHeader},
        {"conflicting Content-Length",
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nzz", false,
         State::Failed, 200, Failure::BadHeader},
        {"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false,
         State::Failed, 200, Failure::BadHeader},
        {"Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n", false,
         State::Failed, 200, Failure::BadHeader},

        // Truncated or empty.
        {"nothing at all", "", true, State::Failed, 0, Failure::Empty},
        {"inside the status line", "HTTP/1.1 20", true, State::Failed, 0, Failure::Truncated},
        {"inside the headers", "HTTP/1.1 200 OK\r\nContent-Le", true, State::Failed, 200,
         Failure::Truncated},
        {"before the end of headers", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", true,
         State::Failed, 200, Failure::Truncated},
        {"inside a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true,
         State::Failed, 200, Failure::Truncated},

        // Oversized.
        {"body until close over the cap", "HTTP/1.1 200 OK\r\n\r\n" + std::string(70000, 'a'), true,
         State::Failed, 200, Failure::TooLarge},
        {"Content-Length body over the cap", ok_with_length(70000), false, State::Failed, 200,
         Failure::TooLarge},
        {"endless headers", "HTTP/1.1 200 OK\r\n" + std::string(70000, 'h'), false, State::Failed,
         200, Failure::TooLarge},
        {"endless status line", "HTTP/1.1 200 " + std::string(70000, 'r'), false, State::Failed, 0,
         Failure::TooLarge},
        {"a reply exactly at a small cap", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", false,
         State::Complete, 200, Failure::None, "", true, 39},
        {"one byte over a small cap", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nzz", false,
         State::Failed, 200, Failure::TooLarge, "", true, 39},

        // Body substring.
        {"body match", "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nstatus: ready\n", false,
         State::Complete, 200, Failure::None, "ready"},
        {"body mismatch", "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nstatus: draining\n", false,
         State::Complete, 200, Failure::None, "ready", false},
        {"headers are not body",
         "HTTP/1.1 200 OK\r\nX-Status: ready\r\nContent-Length: 2\r\n\r\nno", false,
         State::Complete, 200, Failure::None, "ready", false},
        {"needle at the very end", "HTTP/1.0 200 OK\r\n\r\n" + std::string(5000, '.') + "READY",
         true, State::Complete, 200, Failure::None, "READY"},
    };

    for (const Row& row : rows) {
        for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
            INFO(row.what << " (pieces of " << piece << ")");
            const HttpResponseParser parser = run(row, piece);
            CHECK(parser.state() == row.state);
            CHECK(parser.status() == row.status);
            CHECK(parser.failure() == row.failure);
            if (row.state == State::Complete) CHECK(parser.body_matched() == row.matched);
        }
    }
}

TEST_CASE("failure texts name the problem and the cap", "[unit][health]") {
    HttpResponseParser parser("", 16);
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n");
    CHECK(parser.failure_text() == "reply larger than 16 bytes");

    HttpResponseParser truncated;
    truncated.feed("HTTP/1.1 200 OK\r\n");
    truncated.finish();
    CHECK(truncated.failure_text() == "truncated reply");

    HttpResponseParser empty;
    empty.finish();
    CHECK(empty.failure_text() == "empty reply");
}

TEST_CASE("memory stays bounded by the cap however the reply is split", "[unit][health]") {
    HttpResponseParser parser("needle-not-present");
    parser.feed("HTTP/1.1 200 OK\r\n\r\n");
    for (int i = 0; i < 10000 && parser.state() == State::Incomplete; ++i)
        parser.feed(std::string(1000, 'b'));
    CHECK(parser.state() == State::Failed);
    CHECK(parser.failure() == Failure::TooLarge);
    CHECK(parser.bytes_consumed() == HttpResponseParser::kDefaultMaxBytes);
}

}  // namespace
}  // namespace lb::health
