// StatusRanges: the expect_status grammar, as a table.
#include "health/status_ranges.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lb::health {
namespace {

struct Row {
    const char* what;
    const char* spec;
    bool valid;
    std::vector<int> accepted;
    std::vector<int> rejected;
    const char* canonical = "";
};

TEST_CASE("expect_status specs", "[unit][health]") {
    const std::vector<Row> rows = {
        {"range", "200-399", true, {200, 204, 301, 399}, {199, 400, 503}, "200-399"},
        {"list", "200,204", true, {200, 204}, {201, 203, 205}, "200,204"},
        {"range and code",
         "200-299,404",
         true,
         {200, 250, 299, 404},
         {300, 403, 405},
         "200-299,404"},
        {"spaces around items", " 200 - 299 , 404 ", true, {200, 404}, {300}, "200-299,404"},
        {"single code", "503", true, {503}, {500, 200}, "503"},
        {"one-code range", "200-200", true, {200}, {201}, "200"},
        {"edges", "100-599", true, {100, 599}, {99, 600}, "100-599"},
        {"empty", "", false, {}, {}},
        {"blank", "   ", false, {}, {}},
        {"empty item", "200,,204", false, {}, {}},
        {"trailing comma", "200,", false, {}, {}},
        {"reversed range", "399-200", false, {}, {}},
        {"open range", "200-", false, {}, {}},
        {"leading dash", "-200", false, {}, {}},
        {"two dashes", "200-300-400", false, {}, {}},
        {"too low", "099", false, {}, {}},
        {"too high", "600", false, {}, {}},
        {"two digits", "20", false, {}, {}},
        {"four digits", "2000", false, {}, {}},
        {"letters", "2xx", false, {}, {}},
        {"sign", "+200", false, {}, {}},
        {"semicolon", "200;204", false, {}, {}},
    };
    for (const Row& row : rows) {
        INFO(row.what << ": \"" << row.spec << "\"");
        const auto ranges = StatusRanges::parse(row.spec);
        REQUIRE(ranges.has_value() == row.valid);
        if (!ranges) continue;
        for (int code : row.accepted) CHECK(ranges->contains(code));
        for (int code : row.rejected) CHECK_FALSE(ranges->contains(code));
        CHECK(ranges->to_string() == row.canonical);
    }
}

}  // namespace
}  // namespace lb::health
