#include "lb/base/uv_status.h"

#include <uv.h>

namespace lb {

std::string uv_error_text(int status) {
    char buffer[128];
    uv_strerror_r(status, buffer, sizeof buffer);
    return buffer;
}

}  // namespace lb
