// A value or an error message, for fallible startup and control-plane calls (C++20 has no
// std::expected). The data path does not use it: it maps failures to a Termination instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lb {

struct Error {
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
    [[nodiscard]] T& value() { return std::get<T>(state_); }
    [[nodiscard]] const T& value() const { return std::get<T>(state_); }
    [[nodiscard]] const std::string& error() const { return std::get<Error>(state_).message; }

private:
    std::variant<T, Error> state_;
};

// For calls that return nothing on success.
struct Ok {};

}  // namespace lb
