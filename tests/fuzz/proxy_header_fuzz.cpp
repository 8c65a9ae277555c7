// Fuzz target: the PROXY protocol header reader (v1 and v2), any bytes as a connection's first
// bytes. Beyond not crashing: a header never takes more bytes than were received nor more than
// kMaxProxyHeaderBytes, and it has both addresses or neither; NeedMore accounts for exactly the
// bytes received; the verdict on a complete header does not depend on what follows it (its own
// bytes alone parse to the same header, one byte fewer needs more); and its addresses, written
// again by lb's own header writer (config/proxy_header.h), read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "config/proxy_header.h"
#include "lb/proxy/proxy_header_parser.h"

namespace {

using lb::ProxyHeaderParse;
using Status = ProxyHeaderParse::Status;

bool same(const lb::ProxyHeader& a, const lb::ProxyHeader& b) {
    return a.size == b.size && a.source == b.source && a.destination == b.destination;
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> received(data, size);
    const ProxyHeaderParse out = lb::parse_proxy_header(received);
    switch (out.status) {
        case Status::NeedMore:
            if (out.need != size) std::abort();
            return 0;
        case Status::Invalid:
            if (out.error.empty()) std::abort();
            return 0;
        case Status::Complete:
            break;
    }
    const lb::ProxyHeader& header = out.header;
    if (header.size == 0 || header.size > size || header.size > lb::kMaxProxyHeaderBytes)
        std::abort();
    if (header.source.has_value() != header.destination.has_value()) std::abort();

    const ProxyHeaderParse alone = lb::parse_proxy_header(received.first(header.size));
    if (alone.status != Status::Complete || !same(alone.header, header)) std::abort();
    const ProxyHeaderParse shorter = lb::parse_proxy_header(received.first(header.size - 1));
    if (shorter.status != Status::NeedMore) std::abort();

    if (header.source && header.source->is_v6() == header.destination->is_v6()) {
        const auto version = data[0] == 'P' ? lb::config::ProxyProtocol::V1
                                            : lb::config::ProxyProtocol::V2;
        const std::string again = lb::proxy_header(version, *header.source, *header.destination);
        const ProxyHeaderParse reread = lb::parse_proxy_header(bytes_of(again));
        if (reread.status != Status::Complete || reread.header.size != again.size() ||
            reread.header.source != header.source ||
            reread.header.destination != header.destination)
            std::abort();
    }
    return 0;
}
