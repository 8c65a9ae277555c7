// libFuzzer entry for `lb import-haproxy`: any bytes as haproxy.cfg must neither crash nor yield
// a TOML lb's loader refuses. Not part of the CMake build (libFuzzer needs clang). The rest of
// config/ is compiled with g++ (clang 14 cannot capture structured bindings, which validate.cpp
// does), uninstrumented; config/haproxy/ and this entry with clang:
//   mkdir -p /tmp/fz && for f in config/*.cpp health/status_ranges.cpp; do
//     g++ -std=c++20 -O1 -I. -c $f -o /tmp/fz/$(basename $f .cpp).o; done
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. (one line)
//     tests/fuzz/import_haproxy_fuzz.cpp config/haproxy/*.cpp /tmp/fz/*.o -lfmt -ltomlplusplus
//     -o /tmp/import_haproxy_fuzz
//   cp -r tests/data/haproxy /tmp/corpus && /tmp/import_haproxy_fuzz -max_total_time=120 /tmp/corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/diagnostic.h"
#include "config/haproxy/import_haproxy.h"
#include "config/load_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = lb::config::haproxy::import_haproxy(
        text, "fuzz.cfg", lb::config::haproxy::empty_environment());
    if (result.toml) {
        lb::config::Diagnostics check;
        if (!lb::config::load_config_from_string(*result.toml, "lb.toml", check)) std::abort();
    }
    return 0;
}
