// `show info`'s fields, as HAProxy 2.6.12 prints them (`show info typed` on Debian 12).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "lb/admin/haproxy_fields.h"
#include "lb/admin/haproxy_tags.h"
#include "lb/base/assert.h"

namespace lb::admin::haproxy {
namespace {

struct InfoSpec {
    int pos;
    std::string_view name;
    std::string_view tags;
    std::string_view type;
};

// HAProxy 2.6's `show info` fields (positions 45, 46 and 51 are printed only with zlib or a
// `description`, which sitelb has not).
constexpr std::array<InfoSpec, 69> kInfoFields = {{
    {0, "Name", "POS", "str"},
    {1, "Version", "POS", "str"},
    {2, "Release_date", "POS", "str"},
    {3, "Nbthread", "CGS", "u32"},
    {4, "Nbproc", "CGS", "u32"},
    {5, "Process_num", "KGP", "u32"},
    {6, "Pid", "SGP", "u32"},
    {7, "Uptime", "MDP", "str"},
    {8, "Uptime_sec", "MDP", "u32"},
    {9, "Memmax_MB", "CLP", "u32"},
    {10, "PoolAlloc_MB", "MGP", "u32"},
    {11, "PoolUsed_MB", "MGP", "u32"},
    {12, "PoolFailed", "MCP", "u32"},
    {13, "Ulimit-n", "CLP", "u32"},
    {14, "Maxsock", "CLP", "u32"},
    {15, "Maxconn", "CLP", "u32"},
    {16, "Hard_maxconn", "CLP", "u32"},
    {17, "CurrConns", "MGP", "u32"},
    {18, "CumConns", "MCP", "u32"},
    {19, "CumReq", "MCP", "u32"},
    {20, "MaxSslConns", "MMP", "u32"},
    {21, "CurrSslConns", "MGP", "u32"},
    {22, "CumSslConns", "MCP", "u32"},
    {23, "Maxpipes", "CLP", "u32"},
    {24, "PipesUsed", "MGP", "u32"},
    {25, "PipesFree", "MGP", "u32"},
    {26, "ConnRate", "MRP", "u32"},
    {27, "ConnRateLimit", "CLP", "u32"},
    {28, "MaxConnRate", "MMP", "u32"},
    {29, "SessRate", "MRP", "u32"},
    {30, "SessRateLimit", "CLP", "u32"},
    {31, "MaxSessRate", "MRP", "u32"},
    {32, "SslRate", "MRP", "u32"},
    {33, "SslRateLimit", "CLP", "u32"},
    {34, "MaxSslRate", "MMP", "u32"},
    {35, "SslFrontendKeyRate", "MGP", "u32"},
    {36, "SslFrontendMaxKeyRate", "MMP", "u32"},
    {37, "SslFrontendSessionReuse_pct", "MGP", "u32"},
    {38, "SslBackendKeyRate", "MRP", "u32"},
    {39, "SslBackendMaxKeyRate", "MMP", "u32"},
    {40, "SslCacheLookups", "MCP", "u32"},
    {41, "SslCacheMisses", "MCP", "u32"},
    {42, "CompressBpsIn", "MRP", "u32"},
    {43, "CompressBpsOut", "MRP", "u32"},
    {44, "CompressBpsRateLim", "CLP", "u32"},
    {47, "Tasks", "MGP", "u32"},
    {48, "Run_queue", "MGP", "u32"},
    {49, "Idle_pct", "MaP", "u32"},
    {50, "node", "COS", "str"},
    {52, "Stopping", "MGP", "u32"},
    {53, "Jobs", "MGP", "u32"},
    {54, "Unstoppable Jobs", "MGP", "u32"},
    {55, "Listeners", "MGP", "u32"},
    {56, "ActivePeers", "MGP", "u32"},
    {57, "ConnectedPeers", "MGP", "u32"},
    {58, "DroppedLogs", "MGP", "u32"},
    {59, "BusyPolling", "MGP", "u32"},
    {60, "FailedResolutions", "MGP", "u32"},
    {61, "TotalBytesOut", "MGP", "u64"},
    {62, "TotalSplicdedBytesOut", "MGP", "u64"},
    {63, "BytesOutRate", "MRP", "u64"},
    {64, "DebugCommandsIssued", "MGP", "u32"},
    {65, "CumRecvLogs", "MCP", "u32"},
    {66, "Build info", "POS", "str"},
    {67, "Memmax_bytes", "CLP", "u32"},
    {68, "PoolAlloc_bytes", "MGP", "u64"},
    {69, "PoolUsed_bytes", "MGP", "u64"},
    {70, "Start_time_sec", "MDP", "u32"},
    {71, "Tainted", "SGP", "str"},
}};

std::size_t info_row(std::string_view name) {
    const auto it = std::find_if(kInfoFields.begin(), kInfoFields.end(),
                                 [&](const InfoSpec& f) { return f.name == name; });
    LB_CHECK(it != kInfoFields.end());
    return static_cast<std::size_t>(it - kInfoFields.begin());
}

// A value on one line of a "Key: value" or typed reply.
}  // namespace

InfoRecord::InfoRecord() : values_(kInfoFields.size()) {}

InfoRecord& InfoRecord::set(std::string_view name, std::string value) {
    values_[info_row(name)] = std::move(value);
    return *this;
}

InfoRecord& InfoRecord::set(std::string_view name, std::uint64_t value) {
    return set(name, std::to_string(value));
}

std::string InfoRecord::text() const {
    std::string out;
    for (std::size_t i = 0; i < kInfoFields.size(); ++i)
        if (values_[i])
            out += fmt::format("{}: {}\n", kInfoFields[i].name, one_line_value(*values_[i]));
    return out;
}

std::string InfoRecord::typed() const {
    std::string out;
    for (std::size_t i = 0; i < kInfoFields.size(); ++i) {
        if (!values_[i]) continue;
        const InfoSpec& f = kInfoFields[i];
        out += fmt::format("{}.{}.1:{}:{}:{}\n", f.pos, f.name, f.tags, f.type,
                           one_line_value(*values_[i]));
    }
    return out;
}

std::string InfoRecord::json() const {
    std::string out = "[";
    bool first = true;
    for (std::size_t i = 0; i < kInfoFields.size(); ++i) {
        if (!values_[i]) continue;
        const InfoSpec& f = kInfoFields[i];
        if (!first) out += ',';
        first = false;
        out += fmt::format(R"({{"field":{{"pos":{},"name":"{}"}},"processNum":1,{},"value":{}}})",
                           f.pos, f.name, tags_json(f.tags), value_json(f.type, *values_[i]));
    }
    return out + "]\n";
}

}  // namespace lb::admin::haproxy
