// The tables are HAProxy 2.6.12's own answers (Debian 12), written out: for each object type,
// the positions `show stat typed` prints as "pos:tags:type"; tags are origin, nature and scope
// letters. The compatibility test (tests/e2e/haproxy_runtime_api_test.cpp) compares the three
// renderings with a running HAProxy.
#include "lb/admin/haproxy_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "lb/admin/haproxy_tags.h"
#include "lb/base/assert.h"

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

}  // namespace lb::admin::haproxy
