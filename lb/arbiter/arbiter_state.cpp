#include "lb/arbiter/arbiter_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lb::arbiter {

LoadedDecision load_decision(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return {};
        return {std::nullopt, fmt::format("arbiter state file {}: {}", file.string(),
                                          std::strerror(errno))};
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        const auto json = nlohmann::json::parse(text.str());
        peer::AdvertPolicy decision;
        decision.active_site = json.at("active").get<std::string>();
        decision.pinned = json.at("pinned").get<bool>();
        decision.epoch = json.at("epoch").get<std::uint64_t>();
        if (decision.active_site.empty() || decision.active_site.size() > 255)
            return {std::nullopt,
                    fmt::format("arbiter state file {}: bad active site", file.string())};
        return {decision, ""};
    } catch (const nlohmann::json::exception& e) {
        return {std::nullopt, fmt::format("arbiter state file {}: {}", file.string(), e.what())};
    }
}

Result<Ok> save_decision(const std::filesystem::path& file, const peer::AdvertPolicy& decision) {
    const nlohmann::json json = {
        {"active", decision.active_site}, {"pinned", decision.pinned}, {"epoch", decision.epoch}};
    const std::string text = json.dump() + "\n";
    const std::filesystem::path temporary = file.string() + ".tmp";
    const auto failed = [&](const char* step) {
        return Error{fmt::format("arbiter state file {}: {}: {}", file.string(), step,
                                 std::strerror(errno))};
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return failed("open");
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (!written) return failed("write");
    if (::rename(temporary.c_str(), file.c_str()) != 0) return failed("rename");
    // The rename is durable only once the directory entry is on disk.
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return failed("open directory");
    const bool synced = ::fsync(dir_fd) == 0;
    const int sync_error = errno;
    ::close(dir_fd);
    errno = sync_error;
    if (!synced) return failed("fsync directory");
    return Ok{};
}

}  // namespace lb::arbiter
