// Programs from the host that a test drives (haproxy, socat, tmux, an exporter): found on PATH by
// name, run to completion with a deadline, their output read back. Tests that need one and find
// it missing skip loudly (exit 77) rather than pass.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/support/wait.h"

namespace lb::test {

// The absolute path of `name` from $PATH (then /usr/sbin and /sbin, where Debian puts daemons);
// empty when there is none.
[[nodiscard]] std::string find_program(std::string_view name);

struct ProgramResult {
    int exit_code = -1;  // -1: killed at the deadline or ended by a signal
    std::string out;     // stdout and stderr, interleaved
};

// Runs `argv` (argv[0] an absolute path) with stdin on /dev/null; SIGKILL at `deadline`.
// `environment`: "NAME=VALUE" entries added to the environment it inherits.
[[nodiscard]] ProgramResult run_program(const std::vector<std::string>& argv, Deadline deadline,
                                        const std::vector<std::string>& environment = {});

// Ends the test binary with exit code 77 (SKIP_RETURN_CODE) after saying why on stderr, in a
// frame no one can miss in a ctest log.
[[noreturn]] void skip_test(std::string_view why);

}  // namespace lb::test
