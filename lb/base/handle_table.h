// The table that owns objects with libuv handles and requests in flight (STYLE §3.3): the owner
// adds a member once its handles are initialised; the member's close() is idempotent and its
// last close callback erases it (libuv has run every cancelled request callback by then).
// Invariant: the table is on the heap and every member holds it, so a close callback that runs
// after the owner is gone still finds it; the owner closes every member before letting go.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace lb {

// T provides `Id id() const` and `void close() noexcept`. Loop thread only.
template <typename T>
class HandleTable : public std::enable_shared_from_this<HandleTable<T>> {
public:
    using Id = std::uint64_t;

    [[nodiscard]] static std::shared_ptr<HandleTable> create() {
        return std::shared_ptr<HandleTable>(new HandleTable());
    }
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;

    // Ids are never reused, so a late answer carrying one cannot reach a newer member.
    [[nodiscard]] Id next_id() noexcept { return next_id_++; }

    // Takes `member`, whose handles are registered with the loop: from here only its own last
    // close callback removes it (erase).
    T& adopt(std::unique_ptr<T> member) {
        T& ref = *member;
        members_.emplace(ref.id(), std::move(member));
        return ref;
    }

    // From the member's last close callback: destroys it. When the owner is gone and this was
    // the last member, the table goes too, after this returns.
    void erase(Id id) noexcept {
        const std::shared_ptr<HandleTable> keep = this->shared_from_this();
        members_.erase(id);
    }

    // The member with `id`, or null once it has been erased (it may be closing).
    [[nodiscard]] T* find(Id id) const {
        const auto found = members_.find(id);
        return found == members_.end() ? nullptr : found->second.get();
    }

    // The owner stops or goes away: starts closing every member; each leaves from its own close
    // callback, on a later loop iteration.
    void close_all() noexcept {
        for (auto& [id, member] : members_) member->close();
    }

    // Calls `visit(member)` for every member not erased yet. `visit` may close members (they
    // leave later, from their close callbacks) but must not adopt new ones.
    template <typename Visit>
    void for_each(Visit&& visit) {
        for (auto& [id, member] : members_) visit(*member);
    }

    // Members not erased yet, closing ones included.
    [[nodiscard]] std::size_t size() const { return members_.size(); }

private:
    HandleTable() = default;

    std::unordered_map<Id, std::unique_ptr<T>> members_;
    Id next_id_ = 1;
};

}  // namespace lb
