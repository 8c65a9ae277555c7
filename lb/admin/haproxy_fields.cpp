// The tables are HAProxy 2.6.12's own answers (Debian 12), written out: for each object type,
// the positions `show stat typed` prints as "pos:tags:type"; tags are origin, nature and scope
// letters. The compatibility test (tests/e2e/haproxy_runtime_api_test.cpp) compares the three
// renderings with a running HAProxy.
#include "lb/admin/haproxy_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "lb/base/assert.h"
#include "lb/base/json_writer.h"

namespace lb::admin::haproxy {
namespace {

// `show stat` columns by typed position: 0..102 are HAProxy's static fields, 103..126 the
// ssl, h2 and h1 modules' (after the "-" column in CSV).
constexpr std::array<std::string_view, 127> kStatNames = {"pxname",
                                                          "svname",
                                                          "qcur",
                                                          "qmax",
                                                          "scur",
                                                          "smax",
                                                          "slim",
                                                          "stot",
                                                          "bin",
                                                          "bout",
                                                          "dreq",
                                                          "dresp",
                                                          "ereq",
                                                          "econ",
                                                          "eresp",
                                                          "wretr",
                                                          "wredis",
                                                          "status",
                                                          "weight",
                                                          "act",
                                                          "bck",
                                                          "chkfail",
                                                          "chkdown",
                                                          "lastchg",
                                                          "downtime",
                                                          "qlimit",
                                                          "pid",
                                                          "iid",
                                                          "sid",
                                                          "throttle",
                                                          "lbtot",
                                                          "tracked",
                                                          "type",
                                                          "rate",
                                                          "rate_lim",
                                                          "rate_max",
                                                          "check_status",
                                                          "check_code",
                                                          "check_duration",
                                                          "hrsp_1xx",
                                                          "hrsp_2xx",
                                                          "hrsp_3xx",
                                                          "hrsp_4xx",
                                                          "hrsp_5xx",
                                                          "hrsp_other",
                                                          "hanafail",
                                                          "req_rate",
                                                          "req_rate_max",
                                                          "req_tot",
                                                          "cli_abrt",
                                                          "srv_abrt",
                                                          "comp_in",
                                                          "comp_out",
                                                          "comp_byp",
                                                          "comp_rsp",
                                                          "lastsess",
                                                          "last_chk",
                                                          "last_agt",
                                                          "qtime",
                                                          "ctime",
                                                          "rtime",
                                                          "ttime",
                                                          "agent_status",
                                                          "agent_code",
                                                          "agent_duration",
                                                          "check_desc",
                                                          "agent_desc",
                                                          "check_rise",
                                                          "check_fall",
                                                          "check_health",
                                                          "agent_rise",
                                                          "agent_fall",
                                                          "agent_health",
                                                          "addr",
                                                          "cookie",
                                                          "mode",
                                                          "algo",
                                                          "conn_rate",
                                                          "conn_rate_max",
                                                          "conn_tot",
                                                          "intercepted",
                                                          "dcon",
                                                          "dses",
                                                          "wrew",
                                                          "connect",
                                                          "reuse",
                                                          "cache_lookups",
                                                          "cache_hits",
                                                          "srv_icur",
                                                          "src_ilim",
                                                          "qtime_max",
                                                          "ctime_max",
                                                          "rtime_max",
                                                          "ttime_max",
                                                          "eint",
                                                          "idle_conn_cur",
                                                          "safe_conn_cur",
                                                          "used_conn_cur",
                                                          "need_conn_est",
                                                          "uweight",
                                                          "agg_server_status",
                                                          "agg_server_check_status",
                                                          "agg_check_status",
                                                          "ssl_sess",
                                                          "ssl_reused_sess",
                                                          "ssl_failed_handshake",
                                                          "h2_headers_rcvd",
                                                          "h2_data_rcvd",
                                                          "h2_settings_rcvd",
                                                          "h2_rst_stream_rcvd",
                                                          "h2_goaway_rcvd",
                                                          "h2_detected_conn_protocol_errors",
                                                          "h2_detected_strm_protocol_errors",
                                                          "h2_rst_stream_resp",
                                                          "h2_goaway_resp",
                                                          "h2_open_connections",
                                                          "h2_backend_open_streams",
                                                          "h2_total_connections",
                                                          "h2_backend_total_streams",
                                                          "h1_open_connections",
                                                          "h1_open_streams",
                                                          "h1_total_connections",
                                                          "h1_total_streams",
                                                          "h1_bytes_in",
                                                          "h1_bytes_out",
                                                          "h1_spliced_bytes_in",
                                                          "h1_spliced_bytes_out"};
constexpr std::size_t kStaticStatFields = 103;  // the CSV's "-" column comes after these

// What each object prints in HAProxy 2.6 for a TCP proxy. Server: 37 (check_code) only with a
// layer-7 check.
constexpr std::string_view kFrontendFields =
    "0:KNS:str 1:KNS:str 4:MGP:u32 5:MMP:u32 6:CLP:u32 7:MCP:u64 8:MCP:u64 9:MCP:u64 10:MCP:u64 "
    "11:MCP:u64 12:MCP:u64 17:SGP:str 26:KGP:u32 27:KGS:u32 28:KGS:u32 32:CGS:u32 33:MRP:u32 "
    "34:CLP:u32 35:MMP:u32 46:MRP:u32 47:MMP:u32 48:MCP:u64 51:MCP:u64 52:MCP:u64 53:MCP:u64 "
    "54:MCP:u64 75:CGS:str 77:MRP:u32 78:MMP:u32 79:MCP:u64 81:MCP:u64 82:MCP:u64 83:MCP:u64 "
    "94:MCP:u64 103:MCP:u64 104:MCP:u64 105:MCP:u64 106:MCP:u64 107:MCP:u64 108:MCP:u64 "
    "109:MCP:u64 110:MCP:u64 111:MCP:u64 112:MCP:u64 113:MCP:u64 114:MCP:u64 115:MGP:u64 "
    "116:MGP:u64 117:MCP:u64 118:MCP:u64 119:MGP:u64 120:MGP:u64 121:MCP:u64 122:MCP:u64 "
    "123:MCP:u64 124:MCP:u64 125:MCP:u64 126:MCP:u64";
constexpr std::string_view kServerFields =
    "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 7:MCP:u64 8:MCP:u64 9:MCP:u64 "
    "11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 16:MCP:u64 17:SGP:str 18:MaP:u32 19:SGP:u32 "
    "20:SGP:u32 21:MCP:u64 22:MCP:u64 23:MAP:u32 24:MCP:u32 26:KGP:u32 27:KGS:u32 28:KGS:u32 "
    "30:MCP:u64 32:CGS:u32 33:MRP:u32 35:MMP:u32 36:MOP:str 37:MOP:u32 38:MDP:u64 49:MCP:u64 "
    "50:MCP:u64 55:MAP:s32 56:MOP:str 58:MaP:u32 59:MaP:u32 60:MaP:u32 61:MaP:u32 65:MOP:str "
    "67:CGS:u32 68:CGS:u32 69:CGS:u32 73:CGS:str 75:CGS:str 83:MCP:u64 84:MCP:u64 85:MCP:u64 "
    "88:MGP:u32 90:MMP:u32 91:MMP:u32 92:MMP:u32 93:MMP:u32 94:MCP:u64 95:MGP:u32 96:MGP:u32 "
    "97:MGP:u32 98:MGP:u32 99:MaP:u32 103:MCP:u64 104:MCP:u64 105:MCP:u64";
constexpr std::string_view kBackendFields =
    "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 6:CLP:u32 7:MCP:u64 8:MCP:u64 "
    "9:MCP:u64 10:MCP:u64 11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 16:MCP:u64 17:SGP:str "
    "18:MaP:u32 19:MGP:u32 20:MGP:u32 22:MCP:u64 23:MAP:u32 24:MCP:u32 26:KGP:u32 27:KGS:u32 "
    "28:KGS:u32 30:MCP:u64 32:CGS:u32 33:MGP:u32 35:MGP:u32 49:MCP:u64 50:MCP:u64 51:MCP:u64 "
    "52:MCP:u64 53:MCP:u64 54:MCP:u64 55:MAP:s32 58:MaP:u32 59:MaP:u32 60:MaP:u32 61:MaP:u32 "
    "75:CGS:str 76:CGS:str 83:MCP:u64 84:MCP:u64 85:MCP:u64 90:MMP:u32 91:MMP:u32 92:MMP:u32 "
    "93:MMP:u32 94:MCP:u64 99:MaP:u32 100:MGP:u32 101:MGP:u32 102:MGP:u32 103:MCP:u64 "
    "104:MCP:u64 105:MCP:u64 106:MCP:u64 107:MCP:u64 108:MCP:u64 109:MCP:u64 110:MCP:u64 "
    "111:MCP:u64 112:MCP:u64 113:MCP:u64 114:MCP:u64 115:MGP:u64 116:MGP:u64 117:MCP:u64 "
    "118:MCP:u64 119:MGP:u64 120:MGP:u64 121:MCP:u64 122:MCP:u64 123:MCP:u64 124:MCP:u64 "
    "125:MCP:u64 126:MCP:u64";

struct FieldSpec {
    std::string_view tags;  // origin, nature, scope letters: "KNS"
    std::string_view type;  // "str", "u32", "s32", "u64"
};

using FieldTable = std::array<std::optional<FieldSpec>, kStatNames.size()>;

FieldTable parse_table(std::string_view list) {
    FieldTable table{};
    while (!list.empty()) {
        const std::size_t space = list.find(' ');
        const std::string_view item = list.substr(0, space);
        list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
        const std::size_t colon = item.find(':');
        const std::size_t pos =
            static_cast<std::size_t>(std::stoul(std::string(item.substr(0, colon))));
        table.at(pos) = FieldSpec{item.substr(colon + 1, 3), item.substr(colon + 5)};
    }
    return table;
}

const FieldTable& fields_of(StatObject object) {
    static const FieldTable frontend = parse_table(kFrontendFields);
    static const FieldTable backend = parse_table(kBackendFields);
    static const FieldTable server = parse_table(kServerFields);
    switch (object) {
        case StatObject::Frontend:
            return frontend;
        case StatObject::Backend:
            return backend;
        case StatObject::Server:
            return server;
    }
    return server;
}

std::size_t stat_position(std::string_view name) {
    const auto it = std::find(kStatNames.begin(), kStatNames.end(), name);
    LB_CHECK(it != kStatNames.end());
    return static_cast<std::size_t>(it - kStatNames.begin());
}

char object_letter(StatObject object) {
    switch (object) {
        case StatObject::Frontend:
            return 'F';
        case StatObject::Backend:
            return 'B';
        case StatObject::Server:
            return 'S';
    }
    return 'S';
}

std::string_view object_name(StatObject object) {
    switch (object) {
        case StatObject::Frontend:
            return "Frontend";
        case StatObject::Backend:
            return "Backend";
        case StatObject::Server:
            return "Server";
    }
    return "Server";
}

// The words HAProxy's JSON spells for the tag letters (src/stats.c field_origin/nature/scope).
std::string_view origin_word(char c) {
    switch (c) {
        case 'M':
            return "Metric";
        case 'S':
            return "Status";
        case 'K':
            return "Key";
        case 'C':
            return "Config";
        case 'P':
            return "Product";
        default:
            return "Metric";
    }
}
std::string_view nature_word(char c) {
    switch (c) {
        case 'A':
            return "Age";
        case 'a':
            return "Avg";
        case 'C':
            return "Counter";
        case 'c':
            return "Capacity";
        case 'D':
            return "Duration";
        case 'G':
            return "Gauge";
        case 'L':
            return "Limit";
        case 'M':
            return "Max";
        case 'm':
            return "Min";
        case 'N':
            return "Name";
        case 'O':
            return "Output";
        case 'R':
            return "Rate";
        case 'T':
            return "Time";
        default:
            return "Gauge";
    }
}
std::string_view scope_word(char c) {
    switch (c) {
        case 'C':
            return "Cluster";
        case 'P':
            return "Process";
        case 'S':
            return "Service";
        case 's':
            return "System";
        default:
            return "Process";
    }
}

std::string tags_json(std::string_view tags) {
    return fmt::format(R"("tags":{{"origin":"{}","nature":"{}","scope":"{}"}})",
                       origin_word(tags[0]), nature_word(tags[1]), scope_word(tags[2]));
}

std::string value_json(std::string_view type, const std::string& value) {
    if (type == "str") return fmt::format(R"({{"type":"str","value":{}}})", json_quote(value));
    return fmt::format(R"({{"type":"{}","value":{}}})", type, value);
}

// Control bytes would break the line protocol; HAProxy's CSV quoting handles the rest.
std::string csv_text(std::string_view text) {
    std::string clean(text);
    for (char& c : clean)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (clean.find_first_of(",\"") == std::string::npos) return clean;
    std::string out = "\"";
    for (const char c : clean) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

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
std::string one_line_value(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return out;
}

}  // namespace

StatRecord::StatRecord(StatObject object, std::uint64_t iid, std::uint64_t sid)
    : object_(object), iid_(iid), sid_(sid), values_(kStatNames.size()) {}

StatRecord& StatRecord::set(std::string_view name, std::string value) {
    const std::size_t pos = stat_position(name);
    LB_CHECK(fields_of(object_)[pos].has_value());
    values_[pos] = std::move(value);
    return *this;
}

StatRecord& StatRecord::set(std::string_view name, std::uint64_t value) {
    return set(name, std::to_string(value));
}

StatRecord& StatRecord::set_signed(std::string_view name, std::int64_t value) {
    return set(name, std::to_string(value));
}

StatRecord& StatRecord::clear(std::string_view name) {
    values_[stat_position(name)].reset();
    return *this;
}

StatRecord& StatRecord::zero_unset() {
    const FieldTable& table = fields_of(object_);
    for (std::size_t pos = 0; pos < table.size(); ++pos)
        if (table[pos] && table[pos]->type != "str" && !values_[pos]) values_[pos] = "0";
    return *this;
}

const std::optional<std::string>& StatRecord::value(std::string_view name) const {
    return values_[stat_position(name)];
}

std::string StatRecord::csv() const {
    std::string out;
    for (std::size_t pos = 0; pos < values_.size(); ++pos) {
        if (pos == kStaticStatFields) out += "-,";
        if (values_[pos]) out += csv_text(*values_[pos]);
        out += ',';
    }
    return out + "\n";
}

std::string StatRecord::typed() const {
    const FieldTable& table = fields_of(object_);
    std::string out;
    for (std::size_t pos = 0; pos < values_.size(); ++pos) {
        if (!values_[pos]) continue;
        out += fmt::format("{}.{}.{}.{}.{}.1:{}:{}:{}\n", object_letter(object_), iid_, sid_, pos,
                           kStatNames[pos], table[pos]->tags, table[pos]->type,
                           one_line_value(*values_[pos]));
    }
    return out;
}

std::string StatRecord::json() const {
    const FieldTable& table = fields_of(object_);
    std::string out = "[";
    bool first = true;
    for (std::size_t pos = 0; pos < values_.size(); ++pos) {
        if (!values_[pos]) continue;
        if (!first) out += ',';
        first = false;
        out +=
            fmt::format(R"({{"objType":"{}","proxyId":{},"id":{},"field":{{"pos":{},"name":"{}"}},)"
                        R"("processNum":1,{},"value":{}}})",
                        object_name(object_), iid_, sid_, pos, kStatNames[pos],
                        tags_json(table[pos]->tags), value_json(table[pos]->type, *values_[pos]));
    }
    return out + "]";
}

std::vector<std::string_view> stat_csv_columns() {
    std::vector<std::string_view> out(kStatNames.begin(), kStatNames.end());
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(kStaticStatFields), "-");
    return out;
}

std::string stat_csv_header() {
    std::string out = "# ";
    for (const std::string_view name : stat_csv_columns()) {
        out += name;
        out += ',';
    }
    return out + "\n";
}

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
