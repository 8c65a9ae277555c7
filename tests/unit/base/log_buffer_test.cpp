// LogBuffer: lines are queued whole or dropped whole and counted, queued plus in-flight bytes
// never pass the capacity, and the lines lost form one gap reported after the batch before it.
#include "lb/base/log_buffer.h"

#include <catch2/catch.hpp>
#include <string>

namespace lb::log {
namespace {

TEST_CASE("log buffer: lines come out in order, each ended by a newline", "[unit][log]") {
    LogBuffer buffer(1024);
    CHECK(buffer.empty());
    CHECK(buffer.push("first"));
    CHECK(buffer.push(""));
    CHECK(buffer.push("third line"));
    CHECK_FALSE(buffer.empty());
    std::string batch = "left over from the previous batch";
    CHECK(buffer.take(batch) == 0);
    CHECK(batch == "first\n\nthird line\n");
    CHECK(buffer.empty());
    CHECK(buffer.dropped_total() == 0);
}

TEST_CASE("log buffer: a line that does not fit is dropped whole and counted", "[unit][log]") {
    LogBuffer buffer(20);
    CHECK(buffer.push("123456789"));  // 10 bytes with its newline
    CHECK(buffer.push("abcdefghi"));  // 20: exactly full
    CHECK_FALSE(buffer.push(""));     // even an empty line needs its newline
    CHECK_FALSE(buffer.push(std::string(100, 'x')));
    CHECK(buffer.queued_bytes() == 20);
    CHECK(buffer.dropped_total() == 2);
    std::string batch;
    CHECK(buffer.take(batch) == 2);
    CHECK(batch == "123456789\nabcdefghi\n");  // never a partial line
}

TEST_CASE("log buffer: after a drop later lines are dropped too until the batch is taken",
          "[unit][log]") {
    LogBuffer buffer(16);
    CHECK(buffer.push("0123456789"));           // 11 bytes
    CHECK_FALSE(buffer.push("too long line"));  // 14: does not fit
    CHECK_FALSE(buffer.push("ab"));             // would fit, but the gap stays one gap
    std::string batch;
    CHECK(buffer.take(batch) == 2);  // reported right after "0123456789"
    CHECK(batch == "0123456789\n");
    CHECK(buffer.dropped_total() == 2);
}

TEST_CASE("log buffer: the batch being written counts until written()", "[unit][log]") {
    LogBuffer buffer(16);
    CHECK(buffer.push("0123456789"));  // 11
    std::string batch;
    CHECK(buffer.take(batch) == 0);
    CHECK(buffer.in_flight_bytes() == 11);
    CHECK(buffer.push("abcd"));     // 11 + 5 = 16: fits
    CHECK_FALSE(buffer.push("e"));  // 18 would pass the capacity
    buffer.written();
    CHECK(buffer.in_flight_bytes() == 0);
    CHECK(buffer.take(batch) == 1);
    CHECK(batch == "abcd\n");
    CHECK(buffer.in_flight_bytes() == 5);
    CHECK(buffer.push("0123456789"));  // room again
    CHECK(buffer.dropped_total() == 1);
}

TEST_CASE("log buffer: a drop with nothing queued still leaves something to report",
          "[unit][log]") {
    LogBuffer buffer(8);
    CHECK_FALSE(buffer.push("a line longer than the buffer"));
    CHECK_FALSE(buffer.empty());  // the writer must wake to report the drop
    std::string batch = "old";
    CHECK(buffer.take(batch) == 1);
    CHECK(batch.empty());
    CHECK(buffer.empty());
    CHECK(buffer.push("fits"));
}

}  // namespace
}  // namespace lb::log
