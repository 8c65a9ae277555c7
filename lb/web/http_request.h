// The head of an HTTP/1.x request (RFC 9112 §2-§5), parsed from bytes received so far. Pure: no
// I/O. Rejects as early as it can, so binary garbage is answered at once, not at the timeout.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lb::web {

struct RequestHead {
    std::string method;  // "GET"; case-sensitive, as RFC 9110 §9.1 says
    std::string path;    // "/metrics": the target without query, and without scheme://authority
    int minor_version = 1;
};

struct RequestParse {
    enum class Verdict {
        Incomplete,          // valid so far; the blank line that ends the head has not come yet
        Complete,            // `head` is set; `consumed` bytes were the head
        BadRequest,          // 400: not HTTP/1.x syntax
        VersionUnsupported,  // 505: HTTP/2.0 and friends spoken over cleartext HTTP/1 framing
    };
    Verdict verdict = Verdict::Incomplete;
    RequestHead head;
    std::size_t consumed = 0;
};

// `received` is everything the client sent so far. Lines end with CRLF or, leniently, a bare LF
// (RFC 9112 §2.2); empty lines before the request line are skipped. Header fields are checked for
// syntax (a name token, a colon, no control characters; obs-fold is rejected) but not kept: the
// endpoint routes on method and path only.
[[nodiscard]] RequestParse parse_request_head(std::string_view received);

}  // namespace lb::web
