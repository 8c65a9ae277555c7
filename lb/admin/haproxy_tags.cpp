#include "lb/admin/haproxy_tags.h"

#include <fmt/format.h>

#include "lb/base/json_writer.h"

namespace lb::admin::haproxy {
namespace {

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

}  // namespace

std::string tags_json(std::string_view tags) {
    return fmt::format(R"("tags":{{"origin":"{}","nature":"{}","scope":"{}"}})",
                       origin_word(tags[0]), nature_word(tags[1]), scope_word(tags[2]));
}

std::string value_json(std::string_view type, const std::string& value) {
    if (type == "str") return fmt::format(R"({{"type":"str","value":{}}})", json_quote(value));
    return fmt::format(R"({{"type":"{}","value":{}}})", type, value);
}

std::string one_line_value(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return out;
}

}  // namespace lb::admin::haproxy
