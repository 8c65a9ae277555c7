// What the process writes to its stderr (lb's log: lb/base/logger.cpp writes each line to fd 2
// with one write(2)) while a capture is alive, for tests that check what was logged. fd 2 points
// at an unlinked temporary file meanwhile and is restored on destruction. One at a time; not for
// tests that run threads writing to stderr after the capture ends.
#pragma once

#include <string>

namespace lb::test {

class StderrCapture {
public:
    StderrCapture();  // REQUIREs that fd 2 could be redirected
    ~StderrCapture();
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Everything written to fd 2 since the capture started.
    [[nodiscard]] std::string text() const;

private:
    int saved_ = -1;  // the original fd 2
    int file_ = -1;   // the temporary file
};

}  // namespace lb::test
