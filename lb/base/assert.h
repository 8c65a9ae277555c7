// LB_CHECK flags a bug (never bad input): it logs where and aborts, in every build type.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LB_CHECK(condition)                                                                       \
    do {                                                                                          \
        if (!(condition)) {                                                                       \
            std::fprintf(stderr, "%s:%d: internal error: check failed: %s\n", __FILE__, __LINE__, \
                         #condition);                                                             \
            std::abort();                                                                         \
        }                                                                                         \
    } while (false)
