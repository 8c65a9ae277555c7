// The pair's shared secret and the HMAC-SHA256 that authenticates adverts (OpenSSL's libcrypto;
// no hand-written crypto). Invariant: a key is never empty, and its bytes are wiped when it goes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "lb/base/result.h"

namespace lb::peer {

inline constexpr std::size_t kAdvertTagSize = 32;  // HMAC-SHA256
using AdvertTag = std::array<std::uint8_t, kAdvertTagSize>;

class AdvertKey {
public:
    // A key file holds the key's bytes, with one trailing newline ignored (so `openssl rand
    // -base64 32 > peer.key` works). Refused, with a message naming the file: a missing file, one
    // that is not a regular file or cannot be read, an empty one, one larger than 4 KiB, and one
    // whose mode lets the group or others read, write or execute it (mode & 077), because anyone
    // who can read the key can forge adverts and take the VIP. Symlinks are followed; the mode
    // checked is the target's, on the file actually read.
    [[nodiscard]] static Result<AdvertKey> load(const std::filesystem::path& key_file);

    // The key `material` as is (tests, and callers that hold the bytes already). Not empty.
    explicit AdvertKey(std::string_view material);
    ~AdvertKey();
    AdvertKey(AdvertKey&& other) noexcept = default;
    AdvertKey& operator=(AdvertKey&& other) noexcept;
    AdvertKey(const AdvertKey&) = delete;
    AdvertKey& operator=(const AdvertKey&) = delete;

    [[nodiscard]] AdvertTag sign(std::span<const std::uint8_t> bytes) const;
    // True when `tag` is sign(bytes); compared in constant time (CRYPTO_memcmp), so the time taken
    // says nothing about how many leading bytes of a forged tag were right.
    [[nodiscard]] bool verify(std::span<const std::uint8_t> bytes,
                              std::span<const std::uint8_t> tag) const;

private:
    void wipe() noexcept;

    std::vector<std::uint8_t> material_;
};

// A fresh random 64-bit boot id for this process's adverts (OpenSSL's RAND_bytes).
[[nodiscard]] std::uint64_t random_boot_id();

}  // namespace lb::peer
