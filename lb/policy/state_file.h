// The policy's decision on disk, so a restart never silently flips sites:
// {"active":"site-b","pinned":null,"epoch":7,"updated":"2026-11-25T08:00:00Z"}.
// Invariant: the file is replaced atomically on save and never written by load.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "lb/policy/decision.h"

namespace lb::policy {

enum class LoadStatus {
    Loaded,   // the file's decision
    Missing,  // no file: first start; the default decision, not an error
    Invalid,  // unreadable or corrupt: `message` says why; the default decision is used
};

struct LoadedState {
    LoadStatus status = LoadStatus::Missing;
    Decision decision;    // always usable: the file's, else the primary at epoch 0
    std::string message;  // Missing/Invalid: one line for the log, naming the file
};

struct StateFileError {
    std::string message;  // "state file /var/lib/lb/state.json: rename: Permission denied"
};

// The JSON text of a decision (one line, newline-terminated). `updated` is wall-clock time, for
// operators only: ordering uses the epoch. `decision` must be valid for `names`.
[[nodiscard]] std::string encode_state(const Decision& decision, const SiteNames& names,
                                       std::chrono::system_clock::time_point updated);

// Parses encode_state's output, tolerant of whitespace and key order and of unknown keys (a newer
// version may add some), strict about types: "active" (a site name) and "epoch" (an integer
// >= 0) are required, "pinned" (null or the active site's name) and "updated" (a string) are
// optional, duplicate keys are errors; strings must be valid UTF-8 (RFC 8259 §8.1). Returns
// Loaded or Invalid (with line and column). Parsed by nlohmann's JSON parser.
[[nodiscard]] LoadedState decode_state(std::string_view text, const SiteNames& names);

class StateFile {
public:
    StateFile(std::filesystem::path path, SiteNames names);

    // Reads the file once; never creates, repairs or removes it, so a corrupt file stays for the
    // operator to inspect until the next save() replaces it.
    [[nodiscard]] LoadedState load() const;

    // Writes a temporary file next to the target, fsyncs it, renames it over the target and
    // fsyncs the directory: after a crash the file holds the old or the new decision, whole.
    // On failure the target is untouched and no temporary file is left behind.
    [[nodiscard]] std::optional<StateFileError> save(
        const Decision& decision,
        std::chrono::system_clock::time_point updated = std::chrono::system_clock::now()) const;

    // Removes what saves cut short left behind: a process killed between creating its temporary
    // file and renaming it leaves "<name>.tmp.XXXXXX" next to the target, and every save makes
    // a new one, so they would pile up across crashes. Call at start, before the first save (a
    // state file belongs to one process). Returns how many were removed; failures are ignored.
    std::size_t remove_leftovers() const;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    SiteNames names_;
};

}  // namespace lb::policy
