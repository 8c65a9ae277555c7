// An HTTP/1.x response read incrementally from untrusted bytes (RFC 9112): the status code and
// whether the body contains a substring. Memory is bounded: at most `max_bytes` are consumed,
// and only a needle-sized window of the body is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lb::health {

class HttpResponseParser {
public:
    static constexpr std::size_t kDefaultMaxBytes = 64 * 1024;

    enum class State { Incomplete, Complete, Failed };
    enum class Failure {
        None,
        Empty,          // the stream ended before any byte
        Truncated,      // the stream ended inside the status line, headers or a framed body
        BadStatusLine,  // not "HTTP/1.x DDD ..."
        BadHeader,      // malformed field line, bad or conflicting Content-Length
        BadChunk,       // malformed chunked framing
        TooLarge,       // more than max_bytes before the response ended
    };

    // `body_needle`: the substring to look for in the (de-chunked) body; empty matches any body.
    explicit HttpResponseParser(std::string body_needle = {},
                                std::size_t max_bytes = kDefaultMaxBytes);

    // Consumes the next bytes of the stream. Once Complete or Failed, further bytes are ignored:
    // a response is judged by its first message, whatever the server sends after it.
    State feed(std::string_view bytes);
    // The peer closed the stream. Completes a body delimited by the close (no Content-Length,
    // not chunked: RFC 9112 §6.3 rule 8); anything else still open is Truncated or Empty.
    State finish();

    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] Failure failure() const { return failure_; }
    // "truncated reply", "bad status line", ... (for check reasons).
    [[nodiscard]] std::string failure_text() const;
    [[nodiscard]] int status() const { return status_; }  // 0 until the status line is read
    [[nodiscard]] bool body_matched() const { return needle_.empty() || matched_; }
    [[nodiscard]] std::size_t bytes_consumed() const { return consumed_; }

private:
    enum class Phase {
        StatusLine,
        Headers,
        Body,  // Content-Length bytes remain
        BodyUntilClose,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,  // the CRLF after a chunk's data
        Trailers,
        Done,
    };

    // Each consumes a prefix of `data` and returns how much.
    std::size_t consume_line(std::string_view data);
    std::size_t consume_body(std::string_view data);
    void on_line(std::string_view line);
    void on_status_line(std::string_view line);
    void on_header_line(std::string_view line);
    void on_headers_end();
    void on_chunk_size_line(std::string_view line);
    void on_body(std::string_view piece);
    void complete();
    void fail(Failure why);

    std::string needle_;
    std::size_t max_bytes_;
    State state_ = State::Incomplete;
    Failure failure_ = Failure::None;
    Phase phase_ = Phase::StatusLine;
    std::size_t consumed_ = 0;
    std::string line_;  // the current line so far; bounded by max_bytes_
    int status_ = 0;
    bool transfer_encoding_ = false;
    bool chunked_ = false;
    bool has_length_ = false;
    std::uint64_t length_ = 0;
    std::uint64_t remaining_ = 0;  // of the Content-Length body or the current chunk
    std::string window_;           // body tail kept so a needle split across reads is found
    bool matched_ = false;
};

}  // namespace lb::health
