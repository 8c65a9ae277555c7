#include "tests/support/lb_binary.h"

#include <cstdlib>

namespace lb::test {

const char* lb_binary() {
    const char* chosen = std::getenv("LB_TEST_LB_BINARY");
    return chosen != nullptr && *chosen != '\0' ? chosen : LB_BUILT_BINARY;
}

}  // namespace lb::test
