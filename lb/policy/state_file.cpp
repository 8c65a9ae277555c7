// The state file: a hand-written reader for one flat JSON object (no dependency for five keys)
// and an atomic writer. Reading never writes; writing never leaves a partial or temporary file.
#include "lb/policy/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <ctime>
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
    std::string text;  // String: decoded; Integer: as written ("-12")
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

// RFC 8259, enough of it to read one object of scalars; the first error stops everything.
class JsonReader {
public:
    explicit JsonReader(std::string_view text) : text_(text) {}

    // The top-level object's members, in order; nullopt with error() set on the first problem.
    std::optional<std::vector<Member>> parse_document() {
        std::vector<Member> members;
        if (!parse_top(members)) return std::nullopt;
        return members;
    }

    [[nodiscard]] const std::string& error() const { return error_; }

    // "line 2, column 5: " for a byte offset (columns count bytes).
    [[nodiscard]] std::string position(std::size_t offset) const {
        std::size_t line = 1, line_start = 0;
        for (std::size_t i = 0; i < offset && i < text_.size(); ++i)
            if (text_[i] == '\n') ++line, line_start = i + 1;
        return "line " + std::to_string(line) + ", column " +
               std::to_string(offset - line_start + 1) + ": ";
    }

private:
    bool parse_top(std::vector<Member>& members) {
        skip_space();
        if (at_end()) return fail(pos_, "empty file");
        if (!consume('{')) return fail_expected("'{'");
        if (!parse_object(1, &members)) return false;
        skip_space();
        return at_end() || fail(pos_, "unexpected text after the object");
    }

    // Called just after '{'. `out` null: validate and discard (a nested value).
    bool parse_object(int depth, std::vector<Member>* out) {
        skip_space();
        if (consume('}')) return true;
        for (;;) {
            skip_space();
            Member member;
            member.offset = pos_;
            if (!consume('"')) return fail_expected("a string key");
            if (!parse_string_body(member.key)) return false;
            skip_space();
            if (!consume(':')) return fail_expected("':'");
            if (!parse_value(depth, member.value)) return false;
            if (out != nullptr) out->push_back(std::move(member));
            skip_space();
            if (consume(',')) continue;
            if (consume('}')) return true;
            return fail_expected("',' or '}'");
        }
    }

    bool parse_array(int depth) {
        skip_space();
        if (consume(']')) return true;
        for (;;) {
            JsonValue ignored;
            if (!parse_value(depth, ignored)) return false;
            skip_space();
            if (consume(',')) continue;
            if (consume(']')) return true;
            return fail_expected("',' or ']'");
        }
    }

    bool parse_value(int depth, JsonValue& value) {
        skip_space();
        if (at_end()) return fail_expected("a value");
        const char c = text_[pos_];
        if (c == '"') {
            ++pos_;
            value.kind = JsonValue::Kind::String;
            return parse_string_body(value.text);
        }
        if (c == '{' || c == '[') {
            if (depth >= kMaxDepth) return fail(pos_, "values nested too deeply");
            ++pos_;
            value.kind = c == '{' ? JsonValue::Kind::Object : JsonValue::Kind::Array;
            return c == '{' ? parse_object(depth + 1, nullptr) : parse_array(depth + 1);
        }
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(value);
        for (auto [word, kind] : {std::pair{std::string_view("true"), JsonValue::Kind::Bool},
                                  std::pair{std::string_view("false"), JsonValue::Kind::Bool},
                                  std::pair{std::string_view("null"), JsonValue::Kind::Null}}) {
            if (text_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                value.kind = kind;
                return true;
            }
        }
        return fail_expected("a value");
    }

    bool parse_number(JsonValue& value) {
        const std::size_t start = pos_;
        consume('-');
        if (consume('0')) {
            // JSON has no leading zeros: "007" is not a number
        } else if (!digits()) {
            return fail_expected("a digit");
        }
        bool integer = true;
        if (consume('.')) {
            integer = false;
            if (!digits()) return fail_expected("a digit");
        }
        if (consume('e') || consume('E')) {
            integer = false;
            if (!consume('+')) consume('-');
            if (!digits()) return fail_expected("a digit");
        }
        value.kind = integer ? JsonValue::Kind::Integer : JsonValue::Kind::Number;
        value.text = std::string(text_.substr(start, pos_ - start));
        return true;
    }

    // Called just after the opening quote; leaves pos_ after the closing one.
    bool parse_string_body(std::string& out) {
        for (;;) {
            if (at_end()) return fail(pos_, "unexpected end of file in a string");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail(pos_, "control character in a string");
            ++pos_;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) return fail(pos_, "unexpected end of file in a string");
            const char escape = text_[pos_++];
            if (escape == 'u') {
                if (!parse_unicode_escape(out)) return false;
                continue;
            }
            static constexpr std::string_view kEscapes = "\"\\/bfnrt";
            static constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
            const std::size_t which = kEscapes.find(escape);
            if (which == std::string_view::npos)
                return fail(pos_ - 1, "invalid escape in a string");
            out += kMeanings[which];
        }
    }

    // After "\u": four hex digits, a surrogate pair as two escapes; appends UTF-8.
    bool parse_unicode_escape(std::string& out) {
        const std::size_t start = pos_ - 2;
        std::uint32_t code = 0;
        if (!hex4(code)) return false;
        if (code >= 0xDC00 && code <= 0xDFFF) return fail(start, "unpaired surrogate in a string");
        if (code >= 0xD800 && code <= 0xDBFF) {
            std::uint32_t low = 0;
            if (!consume('\\') || !consume('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
                return fail(start, "unpaired surrogate in a string");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        // UTF-8: a lead byte marking how many continuation bytes follow, 6 bits in each.
        static constexpr std::uint32_t kLead[] = {0x00, 0xC0, 0xE0, 0xF0};
        const int extra = code < 0x80 ? 0 : code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
        out += static_cast<char>(kLead[extra] | (code >> (6 * extra)));
        for (int i = extra - 1; i >= 0; --i)
            out += static_cast<char>(0x80 | ((code >> (6 * i)) & 0x3F));
        return true;
    }

    bool hex4(std::uint32_t& code) {
        const char* first = text_.data() + pos_;
        if (text_.size() - pos_ < 4)
            return fail(text_.size(), "unexpected end of file in a string");
        const auto [end, error] = std::from_chars(first, first + 4, code, 16);
        if (error != std::errc{} || end != first + 4) return fail(pos_, "expected 4 hex digits");
        pos_ += 4;
        return true;
    }

    bool digits() {
        const std::size_t start = pos_;
        while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        return pos_ > start;
    }

    void skip_space() {
        while (!at_end() && std::string_view(" \t\n\r").find(text_[pos_]) != std::string_view::npos)
            ++pos_;
    }

    bool consume(char c) {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }

    // Records the first error; returns false so parse functions can `return fail(...)`.
    bool fail(std::size_t offset, const std::string& message) {
        if (error_.empty()) error_ = position(offset) + message;
        return false;
    }

    bool fail_expected(const std::string& what) {
        if (at_end()) return fail(pos_, "unexpected end of file, expected " + what);
        const char c = text_[pos_];
        const bool printable = c > 0x20 && c < 0x7F;
        return fail(pos_, "expected " + what + ", found " +
                              (printable ? "'" + std::string(1, c) + "'" : std::string("a byte")));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
};

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            const auto byte = static_cast<unsigned char>(c);
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

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
    return "{\"active\":" + json_string(names.at(decision.active)) +
           ",\"pinned\":" + (decision.pinned ? json_string(names.at(*decision.pinned)) : "null") +
           ",\"epoch\":" + std::to_string(decision.epoch) + ",\"updated\":\"" +
           utc_timestamp(updated) + "\"}\n";
}

LoadedState decode_state(std::string_view text, const SiteNames& names) {
    JsonReader reader(text);
    const auto members = reader.parse_document();
    if (!members) return invalid(reader.error());

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
        if (*slot != nullptr)
            return invalid(reader.position(member.offset) + "duplicate key \"" + member.key + "\"");
        *slot = &member;
    }

    const auto wrong_type = [&reader](const Member& member, const char* expected) {
        return invalid(reader.position(member.offset) + member.key + ": expected " + expected +
                       ", got " + describe(member.value.kind));
    };
    const auto site_index = [&names](const std::string& name) -> std::optional<SiteIndex> {
        for (SiteIndex i = 0; i < kSiteCount; ++i)
            if (names[i] == name) return i;
        return std::nullopt;
    };
    const auto unknown_site = [&](const Member& member) {
        return invalid(reader.position(member.offset) + member.key + ": unknown site \"" +
                       member.value.text + "\" (the sites are \"" + names[kPrimary] + "\" and \"" +
                       names[kStandby] + "\")");
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
            return invalid(reader.position(pinned->offset) + "pinned: \"" + pinned->value.text +
                           "\" is not the active site \"" + active->value.text + "\"");
    }

    if (epoch == nullptr) return invalid("missing key \"epoch\"");
    const std::string& digits = epoch->value.text;
    if (epoch->value.kind != JsonValue::Kind::Integer || digits.starts_with('-'))
        return wrong_type(*epoch, "a non-negative integer");
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), decision.epoch);
    if (error != std::errc{} || end != digits.data() + digits.size())
        return invalid(reader.position(epoch->offset) + "epoch: out of range");

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
