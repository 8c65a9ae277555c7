// The key file is read through one descriptor: its mode is checked with fstat on the file that is
// read, not looked up again by name, so a swap between the check and the read changes nothing.
#include "lb/peer/advert_auth.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "lb/base/assert.h"

namespace lb::peer {
namespace {

// A key is a few dozen bytes; a large file is a wrong path, not a key to slurp.
constexpr std::size_t kMaxKeyFileSize = 4096;

std::string errno_text(int error) { return std::generic_category().message(error); }

// "group-readable and world-readable" for the bits of `mode` that reach beyond the owner.
std::string describe_access(mode_t mode) {
    struct Bit {
        mode_t bit;
        const char* word;
    };
    static constexpr Bit kBits[] = {
        {S_IRGRP, "group-readable"}, {S_IWGRP, "group-writable"}, {S_IXGRP, "group-executable"},
        {S_IROTH, "world-readable"}, {S_IWOTH, "world-writable"}, {S_IXOTH, "world-executable"},
    };
    std::string out;
    for (const Bit& b : kBits) {
        if ((mode & b.bit) == 0) continue;
        if (!out.empty()) out += ", ";
        out += b.word;
    }
    return out;
}

class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

Result<AdvertKey> AdvertKey::load(const std::filesystem::path& key_file) {
    const std::string name = key_file.string();
    const auto refuse = [&](const std::string& why) {
        return Error{"peer key file " + name + ": " + why};
    };
    // O_NONBLOCK: opening a FIFO must not hang the daemon; regular files ignore it.
    const Descriptor fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int error = errno;
        if (error == ENOENT) return refuse("does not exist");
        return refuse("cannot be opened: " + errno_text(error));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return refuse("cannot be read: " + errno_text(errno));
    if (!S_ISREG(info.st_mode)) return refuse("is not a regular file");
    const mode_t beyond_owner = info.st_mode & 077;
    if (beyond_owner != 0)
        return refuse(fmt::format(
            "mode {:04o} is {}: anyone who reads the key can forge adverts, so it must be "
            "readable by its owner only (chmod 600 {})",
            info.st_mode & 07777, describe_access(beyond_owner), name));

    std::string bytes;
    char buffer[512];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return refuse("cannot be read: " + errno_text(errno));
        if (n == 0) break;
        bytes.append(buffer, static_cast<std::size_t>(n));
        if (bytes.size() > kMaxKeyFileSize)
            return refuse(fmt::format("is larger than {} bytes: not a key file", kMaxKeyFileSize));
    }
    if (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
    if (bytes.empty()) return refuse("is empty");
    AdvertKey key(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    OPENSSL_cleanse(buffer, sizeof buffer);
    return key;
}

AdvertKey::AdvertKey(std::string_view material) : material_(material.begin(), material.end()) {
    LB_CHECK(!material_.empty());
}

AdvertKey::~AdvertKey() { wipe(); }

AdvertKey& AdvertKey::operator=(AdvertKey&& other) noexcept {
    if (this != &other) {
        wipe();
        material_ = std::move(other.material_);
    }
    return *this;
}

void AdvertKey::wipe() noexcept {
    if (!material_.empty()) OPENSSL_cleanse(material_.data(), material_.size());
}

AdvertTag AdvertKey::sign(std::span<const std::uint8_t> bytes) const {
    LB_CHECK(!material_.empty());  // not a moved-from key
    AdvertTag tag{};
    unsigned int length = 0;
    const unsigned char* out =
        HMAC(EVP_sha256(), material_.data(), static_cast<int>(material_.size()), bytes.data(),
             bytes.size(), tag.data(), &length);
    LB_CHECK(out != nullptr && length == tag.size());
    return tag;
}

bool AdvertKey::verify(std::span<const std::uint8_t> bytes,
                       std::span<const std::uint8_t> tag) const {
    if (tag.size() != kAdvertTagSize) return false;
    const AdvertTag expected = sign(bytes);
    return CRYPTO_memcmp(expected.data(), tag.data(), kAdvertTagSize) == 0;
}

std::uint64_t random_boot_id() {
    unsigned char bytes[8];
    LB_CHECK(RAND_bytes(bytes, sizeof bytes) == 1);
    std::uint64_t id = 0;
    for (unsigned char b : bytes) id = (id << 8) | b;
    return id;
}

}  // namespace lb::peer
