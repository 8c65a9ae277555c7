// Fuzz target: the HTTP check's response parser, any bytes as a server's reply. The first byte
// picks how the rest is cut into reads (one read, or pieces of 1..8 bytes) and whether the stream
// then ends; the needle is fixed. Beyond not crashing: the verdict does not depend on how the
// bytes were split into reads (the same bytes in one read give the same state, failure, status
// and body match), never more than max_bytes are consumed, a Failed parse says why and a Complete
// one has a status code 100..999.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "health/http_response_parser.h"

namespace {

using lb::health::HttpResponseParser;

constexpr std::size_t kMaxBytes = 4096;  // small, so that TooLarge is reachable

void run(HttpResponseParser& parser, std::string_view bytes, std::size_t piece, bool eof) {
    while (!bytes.empty()) {
        const std::size_t n = piece == 0 ? bytes.size() : std::min(piece, bytes.size());
        parser.feed(bytes.substr(0, n));
        bytes.remove_prefix(n);
    }
    if (eof) parser.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t piece = mode & 7u;  // 0: everything in one read
    const bool eof = (mode & 8u) != 0;

    HttpResponseParser split("healthy", kMaxBytes);
    run(split, bytes, piece, eof);
    HttpResponseParser whole("healthy", kMaxBytes);
    run(whole, bytes, 0, eof);

    if (split.state() != whole.state() || split.failure() != whole.failure() ||
        split.status() != whole.status() || split.body_matched() != whole.body_matched())
        std::abort();
    if (whole.bytes_consumed() > kMaxBytes || whole.bytes_consumed() > bytes.size()) std::abort();
    using State = HttpResponseParser::State;
    using Failure = HttpResponseParser::Failure;
    if ((whole.state() == State::Failed) != (whole.failure() != Failure::None)) std::abort();
    if (whole.state() == State::Failed && whole.failure_text().empty()) std::abort();
    if (whole.state() == State::Complete && (whole.status() < 100 || whole.status() > 999))
        std::abort();
    return 0;
}
