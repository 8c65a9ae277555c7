// ReadinessSet on a real loop and real sockets: edges reach the right watcher with its tag, a
// removed registration hears nothing more (even when its slot is reused at once), defer() calls
// a watcher again before the loop waits, and a storm of ready sockets is taken a bounded batch
// per loop turn.
#include "lb/proxy/readiness_set.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <vector>

#include "tests/component/proxy/loopback.h"
#include "tests/support/loop_runner.h"

namespace lb::test {
namespace {

using namespace std::chrono_literals;

struct Call {
    int tag;
    std::uint32_t events;
};

class Recorder final : public ReadinessWatcher {
public:
    std::vector<Call> calls;
    std::function<void()> on_call;

    [[nodiscard]] bool heard(int tag, std::uint32_t event) const {
        for (const Call& c : calls)
            if (c.tag == tag && (event == 0 ? c.events == 0 : (c.events & event) != 0)) return true;
        return false;
    }

private:
    void on_ready(int tag, std::uint32_t events) noexcept override {
        calls.push_back(Call{tag, events});
        if (on_call) on_call();
    }
};

TEST_CASE("readiness set: edges reach their watcher and tag, once per edge", "[component][proxy]") {
    TestLoop loop;
    {
        ReadinessSet set;
        REQUIRE(set.start(loop.get()) == 0);
        LoopbackPair a = loopback_pair();
        LoopbackPair b = loopback_pair();
        Recorder first;
        Recorder second;
        ReadinessSet::Key key_a;
        ReadinessSet::Key key_b;
        REQUIRE(set.add(a.near.get(), first, 7, key_a) == 0);
        REQUIRE(set.add(b.near.get(), second, 9, key_b) == 0);
        CHECK(set.watched() == 2);

        // A fresh connected socket is writable: one edge each, and no more while nothing changes.
        REQUIRE(loop.run_until(
            [&] { return first.heard(7, EPOLLOUT) && second.heard(9, EPOLLOUT); }, 2s));
        const std::size_t settled = first.calls.size();
        run_for(loop.get(), 30ms);
        CHECK(first.calls.size() == settled);  // edge-triggered: nothing new, nothing reported

        REQUIRE(::send(a.far.get(), "x", 1, 0) == 1);
        REQUIRE(loop.run_until([&] { return first.heard(7, EPOLLIN); }, 2s));
        CHECK_FALSE(second.heard(9, EPOLLIN));

        ::shutdown(b.far.get(), SHUT_WR);
        REQUIRE(loop.run_until([&] { return second.heard(9, EPOLLRDHUP); }, 2s));
        set.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness set: a removed registration hears nothing, even when its slot is reused",
          "[component][proxy]") {
    TestLoop loop;
    {
        ReadinessSet set;
        REQUIRE(set.start(loop.get()) == 0);
        LoopbackPair old_pair = loopback_pair();
        LoopbackPair new_pair = loopback_pair();
        Recorder old_watcher;
        Recorder new_watcher;
        ReadinessSet::Key old_key;
        REQUIRE(set.add(old_pair.near.get(), old_watcher, 1, old_key) == 0);
        // Data waits on the old socket before anyone has looked: its edge is pending in the set.
        REQUIRE(::send(old_pair.far.get(), "x", 1, 0) == 1);
        const ReadinessSet::Key taken = old_key;
        set.remove(old_key);
        CHECK(old_key.slot == ReadinessSet::Key::kNone);  // reset: a second remove is harmless
        set.remove(old_key);
        ReadinessSet::Key never_added;  // a session whose connect failed before add()
        set.remove(never_added);
        ReadinessSet::Key new_key;
        REQUIRE(set.add(new_pair.near.get(), new_watcher, 2, new_key) == 0);
        CHECK(new_key.slot == taken.slot);              // the slot is reused...
        CHECK(new_key.generation != taken.generation);  // ...under a new name
        REQUIRE(loop.run_until([&] { return new_watcher.heard(2, EPOLLOUT); }, 2s));
        run_for(loop.get(), 30ms);
        CHECK(old_watcher.calls.empty());  // the old socket's edges were stale
        CHECK(set.watched() == 1);
        set.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness set: removing a key that was never added leaves the first socket alone",
          "[component][proxy]") {
    TestLoop loop;
    {
        ReadinessSet set;
        REQUIRE(set.start(loop.get()) == 0);
        LoopbackPair pair = loopback_pair();
        Recorder first;
        ReadinessSet::Key key;
        REQUIRE(set.add(pair.near.get(), first, 1, key) == 0);
        REQUIRE(key.slot == 0);
        ReadinessSet::Key none;
        set.remove(none);
        set.defer(none);
        CHECK(set.watched() == 1);
        REQUIRE(::send(pair.far.get(), "x", 1, 0) == 1);
        REQUIRE(loop.run_until([&] { return first.heard(1, EPOLLIN); }, 2s));
        set.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness set: defer calls the watcher again, with no event, before the loop waits",
          "[component][proxy]") {
    TestLoop loop;
    {
        ReadinessSet set;
        REQUIRE(set.start(loop.get()) == 0);
        LoopbackPair pair = loopback_pair();
        Recorder watcher;
        ReadinessSet::Key key;
        REQUIRE(set.add(pair.near.get(), watcher, 3, key) == 0);
        REQUIRE(loop.run_until([&] { return !watcher.calls.empty(); }, 2s));
        int continuations = 0;
        watcher.on_call = [&] {
            if (watcher.calls.back().events == 0 && ++continuations < 3) set.defer(key);
        };
        set.defer(key);
        REQUIRE(loop.run_until([&] { return continuations == 3; }, 2s));
        CHECK(watcher.heard(3, 0));
        // A deferred call for a removed registration is dropped.
        watcher.on_call = nullptr;
        const std::size_t before = watcher.calls.size();
        set.defer(key);
        set.remove(key);
        run_for(loop.get(), 20ms);
        CHECK(watcher.calls.size() == before);
        set.stop();
    }
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness set: a storm of ready sockets is taken a bounded batch per loop turn",
          "[component][proxy]") {
    // 200 sockets turn writable at once: every one is heard, never more than kEventsPerTurn in
    // one turn of the loop, so the loop's other handles (the listener) run in between.
    constexpr std::size_t kSockets = 200;
    static_assert(kSockets > 2 * ReadinessSet::kEventsPerTurn);
    TestLoop loop;
    {
        ReadinessSet set;
        REQUIRE(set.start(loop.get()) == 0);
        // Counts loop turns. On the heap: the loop frees it after this block, at loop.close().
        std::uint64_t turn = 0;
        auto* turns = new uv_check_t;
        uv_check_init(loop.get(), turns);
        turns->data = &turn;
        uv_check_start(turns, [](uv_check_t* h) { ++*static_cast<std::uint64_t*>(h->data); });
        std::vector<LoopbackPair> pairs;
        std::vector<Recorder> watchers(kSockets);
        std::vector<ReadinessSet::Key> keys(kSockets);
        std::vector<std::uint64_t> heard_in_turn;
        for (std::size_t i = 0; i < kSockets; ++i) {
            pairs.push_back(loopback_pair());
            watchers[i].on_call = [&] { heard_in_turn.push_back(turn); };
            const int tag = static_cast<int>(i);
            REQUIRE(set.add(pairs.back().near.get(), watchers[i], tag, keys[i]) == 0);
        }
        REQUIRE(loop.run_until([&] { return heard_in_turn.size() >= kSockets; }, 5s));
        std::map<std::uint64_t, int> per_turn;
        for (const std::uint64_t t : heard_in_turn) ++per_turn[t];
        int most = 0;
        for (const auto& [t, count] : per_turn) most = std::max(most, count);
        CHECK(most == ReadinessSet::kEventsPerTurn);
        CHECK(per_turn.size() >= kSockets / ReadinessSet::kEventsPerTurn + 1);
        for (std::size_t i = 0; i < kSockets; ++i)
            CHECK(watchers[i].heard(static_cast<int>(i), EPOLLOUT));
        set.stop();
        uv_check_stop(turns);
        uv_close(reinterpret_cast<uv_handle_t*>(turns),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
    }
    CHECK(loop.close() == 0);
}

}  // namespace
}  // namespace lb::test
