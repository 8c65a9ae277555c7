// TimerHeap on a real libuv loop: the contract the sessions' timers rely on (order, re-arm,
// cancel, destroy from a callback) with many timers behind one libuv handle.
#include "lb/base/timer_heap.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/loop_runner.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("timer heap: timers fire in deadline order, ties in the order they were armed",
          "[component][base]") {
    TestLoop loop;
    {
        TimerHeap heap(loop.get());
        std::string fired;
        std::vector<std::unique_ptr<Timer>> timers;
        const std::vector<std::pair<char, Duration>> plan = {{'c', 30ms}, {'a', 10ms}, {'d', 30ms},
                                                             {'b', 20ms}, {'e', 40ms}, {'z', 0ms}};
        for (const auto& [name, delay] : plan) {
            timers.push_back(heap.make_timer([&fired, name = name] { fired += name; }));
            timers.back()->arm(delay);
        }
        CHECK(heap.armed_count() == 6);
        CHECK(fired.empty());  // never from inside arm()
        REQUIRE(loop.run_until([&] { return fired.size() == 6; }, 2s));
        CHECK(fired == "zabcde");
        CHECK(heap.armed_count() == 0);
        for (const auto& timer : timers) CHECK_FALSE(timer->armed());
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("timer heap: cancel, re-arm and destroy, also from inside a callback",
          "[component][base]") {
    TestLoop loop;
    {
        TimerHeap heap(loop.get());
        std::vector<std::string> fired;
        std::unique_ptr<Timer> cancelled = heap.make_timer([&] { fired.push_back("cancelled"); });
        std::unique_ptr<Timer> destroyed = heap.make_timer([&] { fired.push_back("destroyed"); });
        std::unique_ptr<Timer> moved = heap.make_timer([&] { fired.push_back("moved"); });
        std::unique_ptr<Timer> self_destroying;
        self_destroying = heap.make_timer([&] {
            fired.push_back("self");
            destroyed.reset();        // due at the same time, not yet run: never runs
            self_destroying.reset();  // itself, from its own callback
        });
        int rearms = 0;
        std::unique_ptr<Timer> repeating;
        repeating = heap.make_timer([&] {
            fired.push_back("repeat");
            if (++rearms < 3) repeating->arm(0ms);  // next loop turn, not this pass again
        });

        cancelled->arm(5ms);
        self_destroying->arm(10ms);
        destroyed->arm(10ms);
        moved->arm(1ms);
        moved->arm(15ms);  // replaces the pending arm
        repeating->arm(20ms);
        cancelled->cancel();
        CHECK_FALSE(cancelled->armed());
        CHECK(moved->armed());

        REQUIRE(loop.run_until([&] { return rearms == 3; }, 2s));
        CHECK(fired == std::vector<std::string>{"self", "moved", "repeat", "repeat", "repeat"});
        CHECK(self_destroying == nullptr);
        CHECK(heap.armed_count() == 0);
        run_for(loop.get(), 20ms);
        CHECK(fired.size() == 5);  // nothing late
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("timer heap: a thousand timers armed, half cancelled, the rest fire once each",
          "[component][base]") {
    TestLoop loop;
    {
        TimerHeap heap(loop.get());
        constexpr int kTimers = 1000;
        std::vector<int> fired(kTimers, 0);
        std::vector<std::unique_ptr<Timer>> timers;
        for (int i = 0; i < kTimers; ++i) {
            timers.push_back(
                heap.make_timer([&fired, i] { ++fired[static_cast<std::size_t>(i)]; }));
            timers.back()->arm(Duration((i * 7919) % 50));  // scattered over 0–49 ms
        }
        for (int i = 0; i < kTimers; i += 2) timers[static_cast<std::size_t>(i)]->cancel();
        CHECK(heap.armed_count() == kTimers / 2);
        REQUIRE(loop.run_until([&] { return heap.armed_count() == 0; }, 2s));
        for (int i = 0; i < kTimers; ++i) CHECK(fired[static_cast<std::size_t>(i)] == i % 2);
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
