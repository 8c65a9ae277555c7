// `lb ctl`: one command to a running instance's admin socket, the reply printed, and an exit
// status scripts can test: 0 success, 1 the reply is an error, 2 no usable reply (no instance,
// refused, no permission, timeout, connection lost).
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace lb::admin {

// Joins `words` with spaces into one command line, sends it to the admin socket at
// `socket_path`, and prints each reply without its terminating empty line to stdout until the
// server closes (at most 10 s): a line of several commands ("show info;show stat") prints each
// reply in order, an empty line between two. Exit status 1 if any reply is an error. Problems
// are one line on stderr. Blocking; any thread.
[[nodiscard]] int run_ctl(const std::string& socket_path, const std::vector<std::string>& words);

// The same, printing to `out` and `err` and waiting at most `timeout` (for tests).
[[nodiscard]] int run_ctl(const std::string& socket_path, const std::vector<std::string>& words,
                          std::ostream& out, std::ostream& err, std::chrono::milliseconds timeout);

}  // namespace lb::admin
