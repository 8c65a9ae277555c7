// LB_CHECK flags a bug (never bad input): it logs where, flushes the log and aborts, in every
// build type.
#pragma once

namespace lb::log {
// Logs "FILE:LINE: internal error: check failed: CONDITION", waits (briefly) for the log to
// reach stderr, aborts. Defined in log_writer.cpp.
[[noreturn]] void check_failed(const char* file, int line, const char* condition) noexcept;
}  // namespace lb::log

#define LB_CHECK(condition)                                                        \
    do {                                                                           \
        if (!(condition)) ::lb::log::check_failed(__FILE__, __LINE__, #condition); \
    } while (false)
