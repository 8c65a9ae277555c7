// The log writer thread in process, with fd 2 on a file: lines from several threads all arrive,
// each whole and in each thread's order, by the time stop_writer() returns; without the writer,
// lines are written at once.
#include "lb/base/log_writer.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/stderr_capture.h"
#include "tests/support/text_lines.h"

namespace lb::log {
namespace {

TEST_CASE("log writer: lines from several threads all reach stderr whole, by stop_writer()",
          "[component][log]") {
    constexpr int kThreads = 4;
    constexpr int kLines = 1000;  // 4000 lines of ~50 bytes: well within the buffer, none dropped
    const std::uint64_t dropped_before = lines_dropped();
    const test::StderrCapture capture;
    start_writer();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([t] {
            for (int i = 0; i < kLines; ++i)
                write_raw("thread " + std::to_string(t) + " line " + std::to_string(i) +
                          " ........................");
        });
    for (std::thread& thread : threads) thread.join();
    stop_writer();

    std::map<int, int> next;  // thread → the line number expected next
    std::size_t count = 0;
    for (const std::string& line : test::lines_of(capture.text())) {
        INFO(line);
        int thread = -1;
        int number = -1;
        REQUIRE(std::sscanf(line.c_str(), "thread %d line %d ........................", &thread,
                            &number) == 2);
        CHECK(line.size() == line.find(" ....") + 25);  // nothing cut, nothing glued on
        CHECK(number == next[thread]);
        next[thread] = number + 1;
        ++count;
    }
    CHECK(count == static_cast<std::size_t>(kThreads * kLines));
    CHECK(lines_dropped() == dropped_before);
}

TEST_CASE("log writer: without the writer thread a line is written at once", "[component][log]") {
    const test::StderrCapture capture;
    write_raw("written at once");
    CHECK(capture.text() == "written at once\n");
}

}  // namespace
}  // namespace lb::log
