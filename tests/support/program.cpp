// find_program, run_program and skip_test: see program.h.
#include "tests/support/program.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace lb::test {

std::string find_program(std::string_view name) {
    std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
    dirs += ":/usr/sbin:/sbin";
    std::stringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');) {
        if (dir.empty()) continue;
        const std::string path = dir + "/" + std::string(name);
        if (::access(path.c_str(), X_OK) == 0) return path;
    }
    return "";
}

ProgramResult run_program(const std::vector<std::string>& argv, Deadline deadline,
                          const std::vector<std::string>& environment) {
    const TempDir dir("lb-program");
    const auto output = dir.path() / "out";
    SpawnOptions options;
    options.environment = environment;
    ProgramResult result;
    {
        ChildProcess child(argv, output, output, options);
        const auto exit = child.wait_exit(deadline);  // else SIGKILLed when `child` goes
        if (exit && exit->exited) result.exit_code = exit->exit_code;
    }
    result.out = read_file(output);
    return result;
}

void skip_test(std::string_view why) {
    std::fprintf(stderr,
                 "\n********************************************************************\n"
                 "SKIPPED: %.*s\n"
                 "********************************************************************\n\n",
                 static_cast<int>(why.size()), why.data());
    std::fflush(stderr);
    std::_Exit(77);
}

}  // namespace lb::test
