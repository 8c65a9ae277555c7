// Pipe, the copy path's one direction, on real loopback connections: a writer peer feeds the
// source socket, a reader peer drains the sink socket.
#include "lb/proxy/pipe.h"

#include <catch2/catch.hpp>
#include <optional>

#include "tests/component/proxy/loopback.h"
#include "tests/support/loop_runner.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

class PipeRecorder final : public PipeEvents {
public:
    struct Failure {
        End end;
        int status;
    };
    int progress = 0;
    int finished = 0;
    std::optional<Failure> failure;

private:
    void on_pipe_progress(Pipe&) noexcept override { ++progress; }
    void on_pipe_finished(Pipe&) noexcept override { ++finished; }
    void on_pipe_failed(Pipe&, End end, int status) noexcept override {
        failure = Failure{end, status};
    }
};

// Source and sink sockets for one Pipe, with the test's peers on their far ends.
struct OneWay {
    explicit OneWay(uv_loop_t* loop, int buffer_bytes = 0)
        : OneWay(loop, loopback_pair(buffer_bytes), loopback_pair(buffer_bytes)) {}
    OneWay(uv_loop_t* loop, LoopbackPair source, LoopbackPair sink)
        : from(open_stream(loop, std::move(source.near))),
          to(open_stream(loop, std::move(sink.near))),
          writer(std::move(source.far)),
          reader(std::move(sink.far)) {}
    uv_stream_t* from_stream() { return reinterpret_cast<uv_stream_t*>(from); }
    uv_stream_t* to_stream() { return reinterpret_cast<uv_stream_t*>(to); }
    void close() {
        close_stream(from);
        close_stream(to);
    }

    uv_tcp_t* from;
    uv_tcp_t* to;
    PeerSocket writer;
    PeerSocket reader;
};

TEST_CASE("pipe: bytes arrive intact and a FIN becomes a half-close of the sink",
          "[component][proxy]") {
    TestLoop loop;
    BufferPool buffers;
    PipeRecorder events;
    OneWay io(loop.get());
    Pipe pipe(events, buffers, io.from_stream(), io.to_stream());

    const std::string payload = test_bytes(2U << 20, 1);
    io.writer.queue(payload);
    io.writer.shutdown_after_sent();
    REQUIRE(pipe.start() == 0);
    CHECK(events.progress == 0);  // nothing reported from inside start()
    REQUIRE(loop.run_until(
        [&] {
            io.writer.poll(/*read=*/false);
            io.reader.poll();
            return io.reader.saw_eof() && events.finished > 0;
        },
        10s));

    CHECK(io.reader.received().size() == payload.size());
    CHECK((io.reader.received() == payload));
    CHECK(pipe.bytes() == payload.size());
    CHECK(pipe.saw_fin());
    CHECK(pipe.finished());
    CHECK(events.finished == 1);
    CHECK(events.progress > 0);
    CHECK_FALSE(events.failure.has_value());
    CHECK(buffers.in_use() == 0);  // nothing in flight: no buffer held

    pipe.abandon();
    io.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("pipe: a reset source fails the Source end, a reset sink the Sink end",
          "[component][proxy]") {
    TestLoop loop;
    BufferPool buffers;
    PipeRecorder events;
    OneWay io(loop.get());
    Pipe pipe(events, buffers, io.from_stream(), io.to_stream());
    REQUIRE(pipe.start() == 0);

    SECTION("the source resets") {
        io.writer.queue("some bytes first");
        REQUIRE(loop.run_until(
            [&] {
                io.writer.poll();
                io.reader.poll();
                return io.reader.received().size() == 16;
            },
            5s));
        io.writer.reset();
        REQUIRE(loop.run_until([&] { return events.failure.has_value(); }, 5s));
        CHECK(events.failure->end == PipeEvents::End::Source);
        CHECK(events.failure->status == UV_ECONNRESET);
    }
    SECTION("the source sends its last bytes and resets before the pipe reads them") {
        // Data, then a hang-up, in one readiness event: libuv reads the data (a partial read)
        // and, seeing POLLHUP, reports EOF without reading again. The reset is no FIN.
        io.writer.queue("last bytes");
        io.writer.poll();
        io.writer.reset();
        REQUIRE(loop.run_until(
            [&] {
                io.reader.poll();
                return events.failure.has_value() || events.finished > 0;
            },
            5s));
        REQUIRE(events.failure.has_value());
        CHECK(events.failure->end == PipeEvents::End::Source);
        CHECK(events.failure->status == UV_ECONNRESET);
    }
    SECTION("the sink resets") {
        io.reader.reset();
        // The pipe learns of it only by writing: keep feeding it until a write fails.
        io.writer.queue(test_bytes(1U << 20, 2));
        REQUIRE(loop.run_until(
            [&] {
                io.writer.poll();
                return events.failure.has_value();
            },
            5s));
        CHECK(events.failure->end == PipeEvents::End::Sink);
        INFO("status " << events.failure->status);
        CHECK((events.failure->status == UV_ECONNRESET || events.failure->status == UV_EPIPE));
    }
    CHECK(events.finished == 0);

    pipe.abandon();
    io.close();
    CHECK(loop.close() == 0);
    CHECK(buffers.in_use() == 0);
}

TEST_CASE("pipe: while the sink does not read, the source is not read and one buffer is held",
          "[component][proxy]") {
    constexpr int kSocketBuffer = 64 * 1024;  // fixed, so the kernel holds a known amount
    TestLoop loop;
    BufferPool buffers;
    PipeRecorder events;
    OneWay io(loop.get(), kSocketBuffer);
    Pipe pipe(events, buffers, io.from_stream(), io.to_stream());

    const std::string payload = test_bytes(8U << 20, 3);
    io.writer.queue(payload);
    io.writer.shutdown_after_sent();
    REQUIRE(pipe.start() == 0);

    const auto write_only = [&] { io.writer.poll(/*read=*/false); };
    REQUIRE(run_until_stalled(
        loop.get(), write_only, [&] { return io.writer.sent() + pipe.bytes(); }, 100ms, 10s));
    CHECK(io.writer.send_blocked());
    CHECK(buffers.in_use() == 1);  // the one write waiting for the sink
    // Four socket buffers (the kernel doubles SO_SNDBUF/SO_RCVBUF) plus the pipe's one block.
    const std::uint64_t bound = 4 * 2 * kSocketBuffer + BufferPool::kBlockSize;
    CHECK(io.writer.sent() <= bound);
    CHECK(pipe.bytes() <= io.writer.sent());
    const std::uint64_t moved = pipe.bytes();
    run_driving(loop.get(), write_only, 200ms);
    CHECK(pipe.bytes() == moved);  // the source stays unread

    // The sink reads again: everything follows, intact, and the buffer goes back.
    REQUIRE(loop.run_until(
        [&] {
            io.writer.poll(/*read=*/false);
            io.reader.poll();
            return io.reader.saw_eof();
        },
        20s));
    CHECK((io.reader.received() == payload));
    CHECK(events.finished == 1);
    CHECK(buffers.in_use() == 0);

    pipe.abandon();
    io.close();
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
