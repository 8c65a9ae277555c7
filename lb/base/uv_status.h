// libuv status codes as text an operator can read ("connection refused", not -111).
#pragma once

#include <string>

namespace lb {

[[nodiscard]] std::string uv_error_text(int status);

}  // namespace lb
