// AdvertKey: which key files are refused and with what message, what the key material is (the
// RFC 4231 test vector pins it down to the byte), and the tag check.
#include "lb/peer/advert_auth.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace lb::peer {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string hex(const AdvertTag& tag) {
    std::string out;
    for (std::uint8_t b : tag) out += fmt::format("{:02x}", b);
    return out;
}

// RFC 4231 §4.3, test case 2: key "Jefe".
const std::string kJefeData = "what do ya want for nothing?";
const std::string kJefeTag = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

fs::path key_file(const test::TempDir& dir, std::string_view content, mode_t mode) {
    const fs::path path = dir.path() / "peer.key";
    test::write_file(path, content);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
}

TEST_CASE("a key file only its owner can use is loaded, one trailing newline stripped",
          "[unit][peer]") {
    const test::TempDir dir("lb-unit");
    struct Row {
        const char* what;
        std::string content;
        mode_t mode;
        std::string material;
    };
    const std::vector<Row> rows = {
        {"0600 with a newline", "Jefe\n", 0600, "Jefe"},
        {"0400 without a newline", "Jefe", 0400, "Jefe"},
        {"only one newline is stripped", "Jefe\n\n", 0600, "Jefe\n"},
        {"a carriage return is key material", "Jefe\r\n", 0600, "Jefe\r"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Result<AdvertKey> key = AdvertKey::load(key_file(dir, row.content, row.mode));
        REQUIRE(key.ok());
        CHECK(key.value().sign(bytes_of(kJefeData)) ==
              AdvertKey(row.material).sign(bytes_of(kJefeData)));
    }
    const Result<AdvertKey> jefe = AdvertKey::load(key_file(dir, "Jefe\n", 0600));
    REQUIRE(jefe.ok());
    CHECK(hex(jefe.value().sign(bytes_of(kJefeData))) == kJefeTag);
}

TEST_CASE("a key file is refused with a reason naming it", "[unit][peer]") {
    const test::TempDir dir("lb-unit");
    const std::string path = (dir.path() / "peer.key").string();
    const std::string prefix = "peer key file " + path + ": ";
    const std::string owner_only =
        ": anyone who reads the key can forge adverts, so it must be readable by its owner only "
        "(chmod 600 " +
        path + ")";
    struct Row {
        const char* what;
        std::string content;
        mode_t mode;
        std::string message;
    };
    const std::vector<Row> rows = {
        {"empty", "", 0600, "is empty"},
        {"a newline only", "\n", 0600, "is empty"},
        {"world-readable", "secret\n", 0644,
         "mode 0644 is group-readable, world-readable" + owner_only},
        {"group-readable", "secret\n", 0640, "mode 0640 is group-readable" + owner_only},
        {"world-readable only", "secret\n", 0604, "mode 0604 is world-readable" + owner_only},
        {"group-writable", "secret\n", 0620, "mode 0620 is group-writable" + owner_only},
        {"world-executable", "secret\n", 0601, "mode 0601 is world-executable" + owner_only},
        {"larger than a key", std::string(5000, 'k'), 0600,
         "is larger than 4096 bytes: not a key file"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const Result<AdvertKey> key = AdvertKey::load(key_file(dir, row.content, row.mode));
        REQUIRE_FALSE(key.ok());
        CHECK(key.error() == prefix + row.message);
    }

    SECTION("missing") {
        const std::string missing = (dir.path() / "absent.key").string();
        const Result<AdvertKey> key = AdvertKey::load(missing);
        REQUIRE_FALSE(key.ok());
        CHECK(key.error() == "peer key file " + missing + ": does not exist");
    }
    SECTION("a directory") {
        const Result<AdvertKey> key = AdvertKey::load(dir.path());
        REQUIRE_FALSE(key.ok());
        CHECK(key.error() == "peer key file " + dir.path().string() + ": is not a regular file");
    }
    SECTION("unreadable by its owner") {
        // root reads a mode 0000 file all the same: nothing to check then.
        const fs::path file = key_file(dir, "secret\n", 0000);
        const Result<AdvertKey> key = AdvertKey::load(file);
        if (::geteuid() == 0) {
            CHECK(key.ok());
        } else {
            REQUIRE_FALSE(key.ok());
            CHECK(key.error() == prefix + "cannot be opened: Permission denied");
        }
    }
}

TEST_CASE("a tag verifies only with the same key and the same bytes", "[unit][peer]") {
    AdvertKey key("pair secret");
    const Bytes message = bytes_of("advert body");
    const AdvertTag tag = key.sign(message);
    CHECK(key.verify(message, tag));

    AdvertTag flipped = tag;
    flipped[31] ^= 0x80;
    CHECK_FALSE(key.verify(message, flipped));
    CHECK_FALSE(key.verify(bytes_of("advert bodY"), tag));
    CHECK_FALSE(AdvertKey("pair secreT").verify(message, tag));
    CHECK_FALSE(key.verify(message, std::span<const std::uint8_t>(tag.data(), 31)));
    CHECK_FALSE(key.verify(message, std::span<const std::uint8_t>{}));

    const AdvertKey moved = std::move(key);
    CHECK(moved.verify(message, tag));
}

TEST_CASE("boot ids are drawn at random", "[unit][peer]") {
    // Two equal draws of 64 random bits: one chance in 2^64.
    CHECK(random_boot_id() != random_boot_id());
}

}  // namespace
}  // namespace lb::peer
