// fd 2 is swapped with dup2(2) for a mkstemp(3) file under $TMPDIR, unlinked at once.
#include "tests/support/stderr_capture.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace lb::test {

StderrCapture::StderrCapture() {
    std::fflush(stderr);
    const char* dir = std::getenv("TMPDIR");
    std::string path =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/lb-stderr-XXXXXX";
    file_ = ::mkstemp(path.data());
    REQUIRE(file_ >= 0);
    ::unlink(path.c_str());
    saved_ = ::dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    REQUIRE(::dup2(file_, STDERR_FILENO) == STDERR_FILENO);
}

StderrCapture::~StderrCapture() {
    std::fflush(stderr);
    if (saved_ >= 0) {
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    if (file_ >= 0) ::close(file_);
}

std::string StderrCapture::text() const {
    std::string out;
    char chunk[4096];
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(file_, chunk, sizeof chunk, offset);
        if (n <= 0) return out;
        out.append(chunk, static_cast<std::size_t>(n));
        offset += n;
    }
}

}  // namespace lb::test
