// The command line: `lb run|check|version ...` → exit status. main() only calls this.
#pragma once

namespace lb {

[[nodiscard]] int run_cli(int argc, char** argv);

}  // namespace lb
