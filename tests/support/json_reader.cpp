// nlohmann's strict parser (RFC 8259), its SAX events building the Value tree, plus the two rules
// it lacks: no duplicate keys and bounded nesting. Errors carry the byte offset so a failing test
// points at the bad spot of the document.
#include "tests/support/json_reader.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace lb::test::json {

namespace {

const Value& null_value() {
    static const Value null;
    return null;
}

constexpr std::size_t kMaxDepth = 256;

}  // namespace

const std::string& Value::string() const {
    static const std::string empty;
    return kind_ == Kind::String ? text_ : empty;
}

std::size_t Value::size() const {
    return kind_ == Kind::Array ? items_.size() : kind_ == Kind::Object ? members_.size() : 0;
}

const Value& Value::operator[](std::size_t index) const {
    return kind_ == Kind::Array && index < items_.size() ? items_[index] : null_value();
}

bool Value::contains(std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return true;
    return false;
}

const Value& Value::operator[](std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return value;
    return null_value();
}

const Value& Value::at(std::string_view key) const {
    for (const auto& [name, value] : members_)
        if (name == key) return value;
    throw std::out_of_range("JSON object has no key \"" + std::string(key) + "\"");
}

std::vector<std::string> Value::keys() const {
    std::vector<std::string> out;
    for (const auto& [name, value] : members_) out.push_back(name);
    return out;
}

// nlohmann's SAX interface: each event adds a value where the open containers say it belongs.
class Builder {
public:
    bool null() { return add(Value{}); }
    bool boolean(bool flag) {
        Value value;
        value.kind_ = Value::Kind::Bool;
        value.boolean_ = flag;
        return add(std::move(value));
    }
    bool number_integer(std::int64_t number) {
        return add_number(static_cast<double>(number), std::to_string(number));
    }
    bool number_unsigned(std::uint64_t number) {
        return add_number(static_cast<double>(number), std::to_string(number));
    }
    bool number_float(double number, const std::string& literal) {
        if (!std::isfinite(number)) return fail("number out of range");
        return add_number(number, literal);
    }
    bool string(std::string& text) {
        Value value;
        value.kind_ = Value::Kind::String;
        value.text_ = std::move(text);
        return add(std::move(value));
    }
    bool binary(nlohmann::json::binary_t&) { return fail("binary value"); }  // never from text
    bool start_object(std::size_t) { return open(Value::Kind::Object); }
    bool start_array(std::size_t) { return open(Value::Kind::Array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string& name) {
        if (open_.back().contains(name)) return fail("duplicate key \"" + name + "\"");
        open_.back().members_.emplace_back(std::move(name), Value{});
        return true;
    }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::json::exception& error) {
        error_ = "offset " + std::to_string(position) + ": " + error.what();
        return false;
    }

    ParseResult result(bool ok) {
        ParseResult out;
        if (ok && error_.empty() && done_)
            out.value = std::move(*done_);
        else
            out.error = error_.empty() ? "no value" : std::move(error_);
        return out;
    }

private:
    // Into the innermost open container, or as the document itself.
    bool add(Value value) {
        if (open_.empty()) {
            done_ = std::move(value);
        } else if (open_.back().kind_ == Value::Kind::Array) {
            open_.back().items_.push_back(std::move(value));
        } else {
            open_.back().members_.back().second = std::move(value);
        }
        return true;
    }

    bool add_number(double number, std::string literal) {
        Value value;
        value.kind_ = Value::Kind::Number;
        value.number_ = number;
        value.text_ = std::move(literal);
        return add(std::move(value));
    }

    bool open(Value::Kind kind) {
        if (open_.size() >= kMaxDepth) return fail("nested too deeply");
        Value value;
        value.kind_ = kind;
        open_.push_back(std::move(value));
        return true;
    }

    bool close() {
        Value value = std::move(open_.back());
        open_.pop_back();
        return add(std::move(value));
    }

    bool fail(const std::string& what) {
        if (error_.empty()) error_ = what;
        return false;
    }

    std::vector<Value> open_;  // containers being filled, outermost first
    std::optional<Value> done_;
    std::string error_;
};

ParseResult parse(std::string_view text) {
    Builder builder;
    // A NUL byte would end nlohmann's input early: refuse it (JSON has none outside escapes).
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        ParseResult out;
        out.error = "offset " + std::to_string(nul) + ": NUL byte";
        return out;
    }
    const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
    return builder.result(ok);
}

}  // namespace lb::test::json
