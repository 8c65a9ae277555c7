// Fuzz target: `lb import-haproxy`, any bytes as haproxy.cfg. Beyond not crashing: whatever TOML
// the import returns, lb's own loader accepts (the import promises output `lb check` passes), and
// a file that cannot be converted says why (at least one diagnostic).
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
    } else if (result.diagnostics.all().empty()) {
        std::abort();
    }
    return 0;
}
