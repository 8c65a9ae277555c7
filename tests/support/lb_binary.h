// The lb binary the tests start: $LB_TEST_LB_BINARY when set, else the one this build made.
// scripts/test.sh sets it to run the default build's end-to-end and network-namespace tests
// against the sanitizer build's lb: what those tests check is the lb process, so compiling them
// a second time with sanitizers would only cost time.
#pragma once

namespace lb::test {

[[nodiscard]] const char* lb_binary();

}  // namespace lb::test
