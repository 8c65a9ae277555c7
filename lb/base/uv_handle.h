// Ownership of a request-free libuv handle (timer, signal, async, listener): the owner may die
// at any time, even inside the handle's own callback; the memory goes in the close callback.
#pragma once

#include <uv.h>

#include <utility>

namespace lb {

template <typename T>
class UvHandle {
public:
    UvHandle() = default;
    // Takes a handle that uv_*_init accepted; its `data` is the owner's business.
    explicit UvHandle(T* initialised) : raw_(initialised) {}
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;
    UvHandle(UvHandle&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    UvHandle& operator=(UvHandle&& other) noexcept {
        if (this != &other) {
            reset();
            raw_ = std::exchange(other.raw_, nullptr);
        }
        return *this;
    }
    ~UvHandle() { reset(); }

    void reset() noexcept {
        if (raw_ == nullptr) return;
        auto* handle = reinterpret_cast<uv_handle_t*>(std::exchange(raw_, nullptr));
        handle->data = nullptr;  // a late callback sees "owner gone"
        uv_close(handle, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
    }

    [[nodiscard]] T* get() const { return raw_; }
    [[nodiscard]] explicit operator bool() const { return raw_ != nullptr; }

private:
    T* raw_ = nullptr;
};

}  // namespace lb
