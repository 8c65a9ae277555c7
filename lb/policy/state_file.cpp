// The state file: nlohmann's parser and writer for one flat JSON object, with the reader's
// positioned messages, and an atomic file writer. Reading never writes; writing never leaves a
// partial or temporary file.
#include "lb/policy/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>
#include <vector>

namespace lb::policy {
namespace {

// A state file is ~100 bytes; anything far bigger is not ours, and must not be slurped whole.
constexpr std::size_t kMaxFileSize = 64 * 1024;
constexpr int kMaxDepth = 16;  // nested values are skipped, but not without bound

struct JsonValue {
    enum class Kind { Null, Bool, String, Integer, Number, Object, Array };
    Kind kind = Kind::Null;
    std::string text;                     // String: decoded
    bool negative = false;                // Integer: written with a minus sign
    std::optional<std::uint64_t> number;  // Integer: the value, when >= 0 and within 64 bits
};

struct Member {
    std::string key;
    std::size_t offset = 0;  // of the key, for messages
    JsonValue value;
};

const char* describe(JsonValue::Kind kind) {
    static constexpr const char* kNames[] = {"null",     "a boolean", "a string", "an integer",
                                             "a number", "an object", "an array"};
    return kNames[static_cast<std::size_t>(kind)];
}

// "line 2, column 5: " for a byte offset into `text` (columns count bytes).
std::string position(std::string_view text, std::size_t offset) {
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i)
        if (text[i] == '\n') ++line, line_start = i + 1;
    return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1) +
           ": ";
}

// "found 'x'", or "found a byte" for what would not print.
std::string found(std::string_view text, std::size_t offset) {
    const char c = text[offset];
    const bool printable = c > 0x20 && c < 0x7F;
    return printable ? "found '" + std::string(1, c) + "'" : std::string("found a byte");
}

// Hands the text to nlohmann's parser a byte at a time and records how far it has read: SAX
// events carry no position, but when one arrives the parser has read just past its token (a
// number: one byte more), which places keys for messages.
class TrackedInput {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    TrackedInput(const char* at, const char** read_to) : at_(at), read_to_(read_to) {}
    reference operator*() const { return *at_; }
    TrackedInput& operator++() {
        *read_to_ = ++at_;
        return *this;
    }
    TrackedInput operator++(int) {
        TrackedInput before = *this;
        ++*this;
        return before;
    }
    friend bool operator==(const TrackedInput& a, const TrackedInput& b) { return a.at_ == b.at_; }

private:
    const char* at_;
    const char** read_to_;
};

// Where a literal the lexer gave up on part-way ("nul}") starts, given the byte it gave up at;
// `bad` itself when the bytes before it begin no literal.
std::size_t literal_start(std::string_view text, std::size_t bad) {
    for (const std::string_view literal : {"true", "false", "null"})
        for (std::size_t length = literal.size() - 1; length > 0; --length)
            if (bad >= length && text.substr(bad - length, length) == literal.substr(0, length))
                return bad - length;
    return bad;
}

// nlohmann's syntax error in the words this reader has always used (operators and tests know
// them), placed at the offending token. `what` reads "... - <problem>[; last read: '<token>']
// [; expected <token kind>]": the lexer's problems start with "invalid", the parser's are
// "unexpected <token kind>". `position_read` counts the bytes read, the end of the text as one.
std::string syntax_error(std::string_view text, std::size_t position_read,
                         const std::string& last_token, std::string_view what) {
    const std::size_t dash = what.find(" - ");
    std::string_view detail = dash == std::string_view::npos ? what : what.substr(dash + 3);
    std::string_view expected;
    const std::string last_read = "; last read: '" + last_token + "'";
    const bool lexer = detail.starts_with("invalid");
    const std::size_t tail = lexer ? detail.find(last_read) : detail.find("; expected ");
    if (tail != std::string_view::npos) {
        std::string_view rest = detail.substr(tail + (lexer ? last_read.size() : 0));
        if (rest.starts_with("; expected ")) expected = rest.substr(11);
        detail = detail.substr(0, tail);
    }

    // Where the offending token starts. The lexer's token text starts afresh only for strings
    // and numbers; other tokens the parser did not expect are one byte, the last one read.
    const std::size_t read = std::min(position_read, text.size());
    std::size_t start = position_read == 0 ? 0 : std::min(position_read - 1, text.size());
    if (detail == "unexpected string literal" || detail == "unexpected number literal")
        start = read - std::min(last_token.size(), read);  // valid tokens: no control bytes
    else if (detail == "unexpected true literal" || detail == "unexpected null literal")
        start = read - std::min<std::size_t>(4, read);
    else if (detail == "unexpected false literal")
        start = read - std::min<std::size_t>(5, read);
    else if (detail == "invalid literal")
        start = literal_start(text, start);
    else if (detail == "unexpected end of input")
        start = text.size();

    if (expected == "end of input")
        return position(text, start) + "unexpected text after the object";
    if (lexer && detail != "invalid literal") {
        static constexpr std::pair<std::string_view, std::string_view> kLexerProblems[] = {
            {"invalid string: missing closing quote", "unexpected end of file in a string"},
            {"invalid string: forbidden character after backslash", "invalid escape in a string"},
            {"invalid string: '\\u' must be followed by 4 hex digits", "expected 4 hex digits"},
            {"invalid string: surrogate", "unpaired surrogate in a string"},
            {"invalid string: control character", "control character in a string"},
            {"invalid string: ill-formed UTF-8 byte", "invalid UTF-8 in a string"},
            {"invalid number", "expected a digit"},
        };
        for (const auto& [problem, words] : kLexerProblems)
            if (detail.starts_with(problem)) return position(text, start) + std::string(words);
        return position(text, start) + std::string(detail);
    }
    // A token the parser did not expect, or bytes that are no token at all.
    static constexpr std::pair<std::string_view, std::string_view> kExpected[] = {
        {"string literal", "a string key"},
        {"':'", "':'"},
        {"'}'", "',' or '}'"},
        {"']'", "',' or ']'"},
        {"'[', '{', or a literal", "a value"},
        {"", "a value"},
    };
    std::string wanted(expected);
    for (const auto& [token, words] : kExpected)
        if (expected == token) wanted = words;
    if (start >= text.size())
        return position(text, start) + "unexpected end of file, expected " + wanted;
    return position(text, start) + "expected " + wanted + ", " + found(text, start);
}

// nlohmann's SAX interface: keeps the top-level object's members (scalars decoded; nested values
// only checked for syntax) and the first error. The parser stops at the first false.
class StateReader {
public:
    explicit StateReader(std::string_view text) : text_(text), read_to_(text.data()) {}

    // The top-level object's members, in order; nullopt with error() set on the first problem.
    std::optional<std::vector<Member>> parse() {
        if (!parse_top()) return std::nullopt;
        return std::move(members_);
    }

    [[nodiscard]] const std::string& error() const { return error_; }

    // SAX events.
    bool null() { return scalar(JsonValue::Kind::Null); }
    bool boolean(bool) { return scalar(JsonValue::Kind::Bool); }
    // Only a literal with a minus sign comes here: nlohmann reads the others as unsigned.
    bool number_integer(std::int64_t) { return scalar(JsonValue::Kind::Integer, {}, true); }
    bool number_unsigned(std::uint64_t n) { return scalar(JsonValue::Kind::Integer, {}, false, n); }
    // A fraction or exponent, or an integer too large for 64 bits.
    bool number_float(double, const std::string& literal) {
        if (literal.find_first_of(".eE") != std::string::npos)
            return scalar(JsonValue::Kind::Number);
        return scalar(JsonValue::Kind::Integer, {}, literal.starts_with('-'));
    }
    bool string(std::string& text) { return scalar(JsonValue::Kind::String, std::move(text)); }
    bool binary(nlohmann::json::binary_t&) { return false; }  // never from JSON text
    bool start_object(std::size_t) { return open(JsonValue::Kind::Object); }
    bool start_array(std::size_t) { return open(JsonValue::Kind::Array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string& name) {
        // The key's opening quote is the first one after the previous event's token.
        if (depth_ == 1) members_.push_back({std::move(name), text_.find('"', event_end_), {}});
        return mark();
    }
    bool parse_error(std::size_t position_read, const std::string& last_token,
                     const nlohmann::json::exception& error) {
        error_ = syntax_error(text_, position_read, last_token, error.what());
        return false;
    }

private:
    bool parse_top() {
        const std::size_t start = text_.find_first_not_of(" \t\n\r");
        if (start == std::string_view::npos) return fail(text_.size(), "empty file");
        if (text_[start] != '{') return fail(start, "expected '{', " + found(text_, start));
        // nlohmann's lexer takes a NUL byte for the end of the text.
        if (const std::size_t nul = text_.find('\0'); nul != std::string_view::npos)
            return fail(nul, "unexpected NUL byte");
        const TrackedInput first(text_.data(), &read_to_);
        const TrackedInput last(text_.data() + text_.size(), &read_to_);
        return nlohmann::json::sax_parse(first, last, this);
    }

    bool scalar(JsonValue::Kind kind, std::string text = {}, bool negative = false,
                std::optional<std::uint64_t> number = std::nullopt) {
        if (depth_ == 1 && !members_.empty()) {
            JsonValue& value = members_.back().value;
            value.kind = kind;
            value.text = std::move(text);
            value.negative = negative;
            value.number = number;
        }
        return mark();
    }

    bool open(JsonValue::Kind kind) {
        if (depth_ >= kMaxDepth) return fail(read() - 1, "values nested too deeply");
        if (depth_ == 1 && !members_.empty()) members_.back().value.kind = kind;
        ++depth_;
        return mark();
    }

    bool close() {
        --depth_;
        return mark();
    }

    bool mark() {
        event_end_ = read();
        return true;
    }

    [[nodiscard]] std::size_t read() const {
        return static_cast<std::size_t>(read_to_ - text_.data());
    }

    // Records the first error; returns false so the parser stops.
    bool fail(std::size_t offset, const std::string& message) {
        if (error_.empty()) error_ = position(text_, offset) + message;
        return false;
    }

    std::string_view text_;
    const char* read_to_;
    std::size_t event_end_ = 0;
    int depth_ = 0;
    std::vector<Member> members_;
    std::string error_;
};

std::string utc_timestamp(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[32];
    const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(buffer, length);
}

std::string errno_text(int error) { return std::generic_category().message(error); }

LoadedState invalid(std::string message) {
    return {LoadStatus::Invalid, Decision{}, std::move(message)};
}

}  // namespace

std::string encode_state(const Decision& decision, const SiteNames& names,
                         std::chrono::system_clock::time_point updated) {
    nlohmann::ordered_json state;  // in the documented key order
    state["active"] = names.at(decision.active);
    state["pinned"] =
        decision.pinned ? nlohmann::ordered_json(names.at(*decision.pinned)) : nullptr;
    state["epoch"] = decision.epoch;
    state["updated"] = utc_timestamp(updated);
    // Names are config names (ASCII); `replace` only keeps dump() from ever throwing.
    return state.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

LoadedState decode_state(std::string_view text, const SiteNames& names) {
    StateReader reader(text);
    const auto members = reader.parse();
    if (!members) return invalid(reader.error());
    const auto at = [text](const Member& member) { return position(text, member.offset); };

    const Member* active = nullptr;
    const Member* pinned = nullptr;
    const Member* epoch = nullptr;
    const Member* updated = nullptr;
    for (const Member& member : *members) {
        const Member** slot = member.key == "active"    ? &active
                              : member.key == "pinned"  ? &pinned
                              : member.key == "epoch"   ? &epoch
                              : member.key == "updated" ? &updated
                                                        : nullptr;
        if (slot == nullptr) continue;  // a newer version's key: refusing it would flip sites
        if (*slot != nullptr) return invalid(at(member) + "duplicate key \"" + member.key + "\"");
        *slot = &member;
    }

    const auto wrong_type = [&at](const Member& member, const char* expected) {
        return invalid(at(member) + member.key + ": expected " + expected + ", got " +
                       describe(member.value.kind));
    };
    const auto site_index = [&names](const std::string& name) -> std::optional<SiteIndex> {
        for (SiteIndex i = 0; i < kSiteCount; ++i)
            if (names[i] == name) return i;
        return std::nullopt;
    };
    const auto unknown_site = [&](const Member& member) {
        return invalid(at(member) + member.key + ": unknown site \"" + member.value.text +
                       "\" (the sites are \"" + names[kPrimary] + "\" and \"" + names[kStandby] +
                       "\")");
    };

    Decision decision;
    if (active == nullptr) return invalid("missing key \"active\"");
    if (active->value.kind != JsonValue::Kind::String) return wrong_type(*active, "a site name");
    const auto active_site = site_index(active->value.text);
    if (!active_site) return unknown_site(*active);
    decision.active = *active_site;

    if (pinned != nullptr && pinned->value.kind != JsonValue::Kind::Null) {
        if (pinned->value.kind != JsonValue::Kind::String)
            return wrong_type(*pinned, "null or a site name");
        decision.pinned = site_index(pinned->value.text);
        if (!decision.pinned) return unknown_site(*pinned);
        if (*decision.pinned != decision.active)
            return invalid(at(*pinned) + "pinned: \"" + pinned->value.text +
                           "\" is not the active site \"" + active->value.text + "\"");
    }

    if (epoch == nullptr) return invalid("missing key \"epoch\"");
    if (epoch->value.kind != JsonValue::Kind::Integer || epoch->value.negative)
        return wrong_type(*epoch, "a non-negative integer");
    if (!epoch->value.number) return invalid(at(*epoch) + "epoch: out of range");
    decision.epoch = *epoch->value.number;

    if (updated != nullptr && updated->value.kind != JsonValue::Kind::String)
        return wrong_type(*updated, "a timestamp string");

    return {LoadStatus::Loaded, decision, {}};
}

StateFile::StateFile(std::filesystem::path path, SiteNames names)
    : path_(std::move(path)), names_(std::move(names)) {}

LoadedState StateFile::load() const {
    const std::string where = "state file " + path_.string();
    const std::string fallback = "starting on the primary site " + names_[kPrimary] + " (epoch 0)";
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT)
            return {LoadStatus::Missing, Decision{}, where + " not found; " + fallback};
        return invalid(where + ": " + errno_text(error) + "; " + fallback);
    }
    std::string text;
    char buffer[4096];
    int read_error = 0;
    while (text.size() <= kMaxFileSize) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) read_error = errno;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (read_error != 0) return invalid(where + ": " + errno_text(read_error) + "; " + fallback);
    if (text.size() > kMaxFileSize)
        return invalid(where + ": larger than " + std::to_string(kMaxFileSize / 1024) +
                       " KiB, not a state file; " + fallback);

    LoadedState state = decode_state(text, names_);
    if (state.status == LoadStatus::Invalid)
        state.message = where + ": " + state.message + "; ignoring it and " + fallback +
                        "; the file is left as is until the next change";
    return state;
}

std::size_t StateFile::remove_leftovers() const {
    namespace fs = std::filesystem;
    const fs::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
    const std::string prefix = path_.filename().string() + ".tmp.";
    constexpr std::size_t kSuffix = 6;  // mkostemp's XXXXXX
    std::error_code error;
    std::vector<fs::path> leftovers;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.size() == prefix.size() + kSuffix && name.starts_with(prefix))
            leftovers.push_back(it->path());
    }
    std::size_t removed = 0;
    for (const fs::path& leftover : leftovers)
        if (fs::remove(leftover, error)) ++removed;
    return removed;
}

std::optional<StateFileError> StateFile::save(const Decision& decision,
                                              std::chrono::system_clock::time_point updated) const {
    // Callers pass errno before anything else can change it (hence `const char*`: no allocation).
    const auto failed = [this](const char* step, int error) {
        return StateFileError{"state file " + path_.string() + ": " + step + ": " +
                              errno_text(error)};
    };
    if (decision.active >= kSiteCount || (decision.pinned && *decision.pinned != decision.active))
        return StateFileError{"state file " + path_.string() + ": invalid decision, not saved"};
    const std::string text = encode_state(decision, names_, updated);

    // Same directory as the target: rename(2) is atomic only within one filesystem.
    std::string temp = path_.string() + ".tmp.XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return failed("create temporary file", errno);
    const auto abandon = [&](const char* step, int error) {
        ::close(fd);
        ::unlink(temp.c_str());
        return failed(step, error);
    };
    // mkostemp creates 0600; the decision is no secret and monitoring may want to read it.
    if (::fchmod(fd, 0644) != 0) return abandon("chmod temporary file", errno);
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return abandon("write temporary file", errno);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return abandon("fsync temporary file", errno);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        return failed("close temporary file", error);
    }
    if (::rename(temp.c_str(), path_.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        return failed("rename", error);
    }
    // The rename is durable only once the directory entry is on disk.
    const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return failed("open directory", errno);
    const int sync_result = ::fsync(dir_fd);
    const int sync_error = errno;
    ::close(dir_fd);
    if (sync_result != 0) return failed("fsync directory", sync_error);
    return std::nullopt;
}

}  // namespace lb::policy
