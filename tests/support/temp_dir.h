// Files a test owns: a directory from mkdtemp(3) that goes away with its object, and whole-file
// reads and writes (a write replaces the file atomically, so a reader never sees half of it).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace lb::test {

// A directory from mkdtemp(3) under $TMPDIR, removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "lb-e2e");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The whole file as bytes; "" if it cannot be read (not there yet).
[[nodiscard]] std::string read_file(const std::filesystem::path& path);
// Writes `text` to PATH.next and renames it over `path`; throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace lb::test
