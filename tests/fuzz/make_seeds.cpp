// Writes the binary seed inputs of corpus/advert, corpus/lease_message and corpus/proxy_header
// with lb's own encoders, so they are exactly what lb sends (adverts and lease messages signed
// with the key the fuzz targets use). Built on demand only, in the fuzz build directory:
//   cmake --build build-fuzz --target fuzz_make_seeds
//   build-fuzz/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/proxy_header.h"
#include "lb/peer/advert.h"
#include "lb/peer/lease_message.h"

namespace {

using namespace std::chrono_literals;
using namespace lb::peer;
namespace fs = std::filesystem;

void write(const fs::path& path, const void* data, std::size_t size) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

void write(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    write(path, bytes.data(), bytes.size());
}

void write(const fs::path& path, const std::string& bytes) {
    write(path, bytes.data(), bytes.size());
}

lb::SocketAddress endpoint(const char* text) {
    const auto address = lb::SocketAddress::parse_endpoint(text);
    if (!address) std::abort();
    return *address;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const fs::path corpus = argv[1];
    const AdvertKey key("pair secret");  // the fuzz targets' key

    write(corpus / "advert/master.bin",
          encode(Advert{"lb1", 150, PeerRole::Master, {"site-a", false, 7}, 0x0102030405060708,
                        42, 200ms, true},
                 key));
    write(corpus / "advert/backup-pinned.bin",
          encode(Advert{"lb2", 100, PeerRole::Backup, {"site-b", true, 8}, 0xfedcba9876543210, 1,
                        1s, true},
                 key));
    write(corpus / "advert/fault-no-site.bin",
          encode(Advert{"lb2", 100, PeerRole::Fault, {"site-a", false, 0}, 7, 9, 200ms, false},
                 key));
    write(corpus / "advert/step-down-long-names.bin",
          encode(Advert{std::string(kMaxInstanceIdLength, 'i'), 0, PeerRole::Master,
                        {std::string(kMaxSiteNameLength, 's'), false, ~0ull}, ~0ull, ~0ull,
                        lb::Duration(4294967295), true},
                 key));

    write(corpus / "lease_message/request-acquire.bin",
          encode(LeaseRequest{"lb1", LeaseKind::Acquire, {"site-a", false, 7}, 0x0102030405060708,
                              42},
                 key));
    write(corpus / "lease_message/request-release-pinned.bin",
          encode(LeaseRequest{"lb2", LeaseKind::Release, {"site-b", true, 9}, 5, 6}, key));
    write(corpus / "lease_message/reply-granted.bin",
          encode(LeaseReply{"lb1", LeaseVerdict::Granted, "lb1", 300ms,
                            AdvertPolicy{"site-b", true, 9}, 11, 12, 0x0102030405060708, 42},
                 key));
    write(corpus / "lease_message/reply-refused.bin",
          encode(LeaseReply{"lb2", LeaseVerdict::Refused, "lb1", 120ms, std::nullopt, 11, 13, 5,
                            7},
                 key));
    write(corpus / "lease_message/reply-released-nobody.bin",
          encode(LeaseReply{"lb1", LeaseVerdict::Released, "", 0ms,
                            AdvertPolicy{"site-a", false, 3}, 11, 14, 1, 2},
                 key));

    using lb::config::ProxyProtocol;
    const auto v4_client = endpoint("203.0.113.9:40000");
    const auto v4_local = endpoint("198.51.100.1:443");
    const auto v6_client = endpoint("[2001:db8::9]:40000");
    const auto v6_local = endpoint("[2001:db8::1]:443");
    // Each followed by a client byte, as a session receives it.
    write(corpus / "proxy_header/v2-tcp4.bin",
          lb::proxy_header(ProxyProtocol::V2, v4_client, v4_local) + "G");
    write(corpus / "proxy_header/v2-tcp6.bin",
          lb::proxy_header(ProxyProtocol::V2, v6_client, v6_local) + "G");
    write(corpus / "proxy_header/v2-local.bin", lb::proxy_header_local(ProxyProtocol::V2));
    // TCP over IPv4 with a TLV after the addresses (type 0x05, unique id "abc").
    std::string with_tlv = lb::proxy_header(ProxyProtocol::V2, v4_client, v4_local);
    with_tlv[15] = static_cast<char>(with_tlv[15] + 6);
    with_tlv += std::string("\x05\x00\x03" "abc", 6);
    write(corpus / "proxy_header/v2-tcp4-tlv.bin", with_tlv + "G");
    write(corpus / "proxy_header/v1-tcp4.txt",
          lb::proxy_header(ProxyProtocol::V1, v4_client, v4_local) + "GET / HTTP/1.1\r\n");
    write(corpus / "proxy_header/v1-tcp6.txt",
          lb::proxy_header(ProxyProtocol::V1, v6_client, v6_local));
    write(corpus / "proxy_header/v1-unknown.txt", lb::proxy_header_local(ProxyProtocol::V1));
    return 0;
}
