// HandleTable without a loop: members stand in for objects whose close callbacks come later, so
// the test plays the loop and runs them. What matters is who frees what, and when.
#include "lb/base/handle_table.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

namespace lb {
namespace {

struct Member {
    using Table = HandleTable<Member>;

    Member(std::shared_ptr<Table> owner_table, int& live_count)
        : table(std::move(owner_table)), member_id(table->next_id()), live(live_count) {
        ++live;
    }
    ~Member() { --live; }
    [[nodiscard]] Table::Id id() const { return member_id; }
    void close() noexcept { ++close_calls; }
    // What the last close callback does.
    void on_closed() noexcept { table->erase(member_id); }

    std::shared_ptr<Table> table;
    Table::Id member_id;
    int& live;
    int close_calls = 0;
};

TEST_CASE("members keep their table until the last one is erased", "[unit][base]") {
    int live = 0;
    auto owner = Member::Table::create();
    std::weak_ptr<Member::Table> table = owner;
    std::vector<Member*> members;
    for (int i = 0; i < 3; ++i)
        members.push_back(&owner->adopt(std::make_unique<Member>(owner, live)));
    CHECK(owner->size() == 3);

    owner->close_all();  // the owner goes away: it closes everyone, then lets go
    owner.reset();
    for (const Member* m : members) CHECK(m->close_calls == 1);
    CHECK(live == 3);
    REQUIRE_FALSE(table.expired());

    members[1]->on_closed();
    members[0]->on_closed();
    CHECK(live == 1);
    CHECK_FALSE(table.expired());
    members[2]->on_closed();  // the last close callback frees the member and then the table
    CHECK(live == 0);
    CHECK(table.expired());
}

TEST_CASE("an erased member is not found again, and ids are never reused", "[unit][base]") {
    int live = 0;
    auto owner = Member::Table::create();
    Member& first = owner->adopt(std::make_unique<Member>(owner, live));
    const auto first_id = first.id();
    CHECK(owner->find(first_id) == &first);
    first.on_closed();
    CHECK(owner->find(first_id) == nullptr);
    CHECK(owner->size() == 0);

    Member& second = owner->adopt(std::make_unique<Member>(owner, live));
    CHECK(second.id() != first_id);
    CHECK(owner->find(first_id) == nullptr);  // a late answer for the first reaches nobody
    second.on_closed();
    CHECK(live == 0);
}

}  // namespace
}  // namespace lb
