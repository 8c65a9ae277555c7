// HttpResponseParser: a phase machine over lines and counted bodies. Lenient only where real
// servers differ harmlessly (bare LF line ends, any reason phrase); strict where a lenient
// reading could turn a broken gateway into a healthy verdict.
#include "health/http_response_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lb::health {
namespace {

constexpr std::uint64_t kMaxChunkSize = std::uint64_t{1} << 40;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

HttpResponseParser::HttpResponseParser(std::string body_needle, std::size_t max_bytes)
    : needle_(std::move(body_needle)), max_bytes_(max_bytes) {}

HttpResponseParser::State HttpResponseParser::feed(std::string_view bytes) {
    if (state_ != State::Incomplete) return state_;
    // Only what fits under the cap is parsed: a response that completes within it is judged,
    // one that needs more is too large.
    const std::size_t room = max_bytes_ - consumed_;
    const bool over_cap = bytes.size() > room;
    if (over_cap) bytes = bytes.substr(0, room);

    while (!bytes.empty() && state_ == State::Incomplete) {
        std::size_t used = 0;
        switch (phase_) {
            case Phase::StatusLine:
            case Phase::Headers:
            case Phase::ChunkSize:
            case Phase::ChunkDataEnd:
            case Phase::Trailers:
                used = consume_line(bytes);
                break;
            case Phase::Body:
            case Phase::BodyUntilClose:
            case Phase::ChunkData:
                used = consume_body(bytes);
                break;
            case Phase::Done:
                used = bytes.size();
                break;
        }
        consumed_ += used;
        bytes.remove_prefix(used);
    }
    if (over_cap && state_ == State::Incomplete) fail(Failure::TooLarge);
    return state_;
}

HttpResponseParser::State HttpResponseParser::finish() {
    if (state_ != State::Incomplete) return state_;
    if (phase_ == Phase::BodyUntilClose)
        complete();
    else
        fail(consumed_ == 0 ? Failure::Empty : Failure::Truncated);
    return state_;
}

std::string HttpResponseParser::failure_text() const {
    switch (failure_) {
        case Failure::None:
            return "";
        case Failure::Empty:
            return "empty reply";
        case Failure::Truncated:
            return "truncated reply";
        case Failure::BadStatusLine:
            return "bad status line";
        case Failure::BadHeader:
            return "bad header";
        case Failure::BadChunk:
            return "bad chunked encoding";
        case Failure::TooLarge:
            return "reply larger than " + std::to_string(max_bytes_) + " bytes";
    }
    return "";
}

std::size_t HttpResponseParser::consume_line(std::string_view data) {
    const auto newline = data.find('\n');
    if (newline == std::string_view::npos) {
        line_.append(data);
        return data.size();
    }
    line_.append(data.substr(0, newline));
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
    line_.clear();
    return newline + 1;
}

std::size_t HttpResponseParser::consume_body(std::string_view data) {
    if (phase_ == Phase::BodyUntilClose) {
        on_body(data);
        return data.size();
    }
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
    on_body(data.substr(0, take));
    remaining_ -= take;
    if (remaining_ == 0) {
        if (phase_ == Phase::Body)
            complete();
        else
            phase_ = Phase::ChunkDataEnd;
    }
    return take;
}

void HttpResponseParser::on_line(std::string_view line) {
    switch (phase_) {
        case Phase::StatusLine:
            on_status_line(line);
            break;
        case Phase::Headers:
            if (line.empty())
                on_headers_end();
            else
                on_header_line(line);
            break;
        case Phase::ChunkSize:
            on_chunk_size_line(line);
            break;
        case Phase::ChunkDataEnd:
            if (!line.empty()) return fail(Failure::BadChunk);
            phase_ = Phase::ChunkSize;
            break;
        case Phase::Trailers:
            if (line.empty()) complete();  // trailer fields themselves are ignored
            break;
        default:
            break;
    }
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
void HttpResponseParser::on_status_line(std::string_view line) {
    const bool version_ok =
        line.size() >= 12 && line.substr(0, 7) == "HTTP/1." && is_digit(line[7]) && line[8] == ' ';
    if (!version_ok || !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
        line[9] < '1' || line[9] > '5' || (line.size() > 12 && line[12] != ' '))
        return fail(Failure::BadStatusLine);
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    phase_ = Phase::Headers;
}

void HttpResponseParser::on_header_line(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail(Failure::BadHeader);
    const std::string_view name = line.substr(0, colon);
    // No whitespace before the colon and no obs-fold (RFC 9112 §5.1, §5.2): both are how
    // request smuggling starts, and no sane gateway sends them.
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail(Failure::BadHeader);
    const std::string_view value = trim(line.substr(colon + 1));

    if (iequals(name, "content-length")) {
        std::uint64_t length = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (value.empty() || ec != std::errc{} || end != value.data() + value.size() ||
            (has_length_ && length != length_))
            return fail(Failure::BadHeader);
        has_length_ = true;
        length_ = length;
    } else if (iequals(name, "transfer-encoding")) {
        // Chunked only if it is the final coding; otherwise the body runs until close (§6.3).
        const auto comma = value.rfind(',');
        const std::string_view last =
            trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
        transfer_encoding_ = true;  // overrides any Content-Length, in whatever order
        chunked_ = iequals(last, "chunked");
    }
}

void HttpResponseParser::on_headers_end() {
    // 1xx (but 101) are interim responses: the final one follows on the same stream.
    if (status_ >= 100 && status_ < 200 && status_ != 101) {
        status_ = 0;
        transfer_encoding_ = false;
        chunked_ = false;
        has_length_ = false;
        length_ = 0;
        phase_ = Phase::StatusLine;
        return;
    }
    if (status_ < 200 || status_ == 204 || status_ == 304) return complete();
    if (chunked_) {
        phase_ = Phase::ChunkSize;
    } else if (!transfer_encoding_ && has_length_) {
        if (length_ == 0) return complete();
        remaining_ = length_;
        phase_ = Phase::Body;
    } else {
        phase_ = Phase::BodyUntilClose;
    }
}

// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1); extensions are ignored.
void HttpResponseParser::on_chunk_size_line(std::string_view line) {
    const std::string_view size_text = trim(line.substr(0, line.find(';')));
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || ec != std::errc{} || end != size_text.data() + size_text.size() ||
        size > kMaxChunkSize)
        return fail(Failure::BadChunk);
    if (size == 0) {
        phase_ = Phase::Trailers;
        return;
    }
    remaining_ = size;
    phase_ = Phase::ChunkData;
}

void HttpResponseParser::on_body(std::string_view piece) {
    if (needle_.empty() || matched_ || piece.empty()) return;
    window_.append(piece);
    if (window_.find(needle_) != std::string::npos) {
        matched_ = true;
        window_.clear();
        return;
    }
    // Keep just enough to find a needle that straddles this piece and the next.
    const std::size_t keep = needle_.size() - 1;
    if (window_.size() > keep) window_.erase(0, window_.size() - keep);
}

void HttpResponseParser::complete() {
    phase_ = Phase::Done;
    state_ = State::Complete;
}

void HttpResponseParser::fail(Failure why) {
    phase_ = Phase::Done;
    state_ = State::Failed;
    failure_ = why;
}

}  // namespace lb::health
