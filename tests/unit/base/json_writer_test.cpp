// The one JSON writer (admin replies, /status.json, JSON log lines): it places commas and
// escapes by itself, and what it writes must parse strictly and decode to what went in.
#include "lb/base/json_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/json_reader.h"

namespace lb {
namespace {

TEST_CASE("JSON strings survive quotes, control bytes and bad UTF-8", "[unit][base]") {
    struct Row {
        const char* what;
        std::string raw;
        std::string decoded;  // what a JSON reader gets back
    };
    const std::vector<Row> rows = {
        {"plain", "site-a", "site-a"},
        {"quote and backslash", "a\"b\\c", "a\"b\\c"},
        {"newline and tab", "x\ny\tz\r", "x\ny\tz\r"},
        {"control byte",
         std::string("a\x01"
                     "b",
                     3),
         std::string("a\x01"
                     "b",
                     3)},
        {"valid UTF-8", "s\xc3\xa9te \xe2\x82\xac", "s\xc3\xa9te \xe2\x82\xac"},
        {"invalid byte",
         "a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"},
        {"truncated sequence", "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
        {"surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (const auto& row : rows) {
        INFO(row.what);
        JsonWriter json;
        json.begin_object().field("v", row.raw).end_object();
        const auto parsed = test::json::parse(json.text());
        INFO(parsed.error);
        REQUIRE(parsed.value);
        CHECK(parsed.value->at("v").string() == row.decoded);
    }
}

TEST_CASE("the JSON writer places commas and keeps numbers exact", "[unit][base]") {
    JsonWriter json;
    json.begin_object()
        .field("big", std::uint64_t{18446744073709551615U})
        .field("neg", std::int64_t{-5})
        .key("ms")
        .value(1.25, 3)
        .field("nan", std::numeric_limits<double>::quiet_NaN())
        .field("flag", false);
    json.key("list").begin_array().value("a").null().begin_object().end_object().end_array();
    json.key("empty").begin_array().end_array().end_object();
    CHECK(json.text() ==
          R"({"big":18446744073709551615,"neg":-5,"ms":1.250,"nan":null,"flag":false,)"
          R"("list":["a",null,{}],"empty":[]})");
    CHECK(test::json::parse(json.text()).value);
}

TEST_CASE("the JSON writer nests, separates and escapes", "[unit][base]") {
    JsonWriter json;
    json.begin_object();
    json.field("name", std::string("a\"b"));
    json.field("count", std::uint64_t{18446744073709551615ULL});
    json.field("delta", std::int64_t{-3});
    json.field("ratio", 0.5);
    json.field("nan", std::numeric_limits<double>::quiet_NaN());
    json.key("list");
    json.begin_array();
    json.begin_object();
    json.end_object();
    json.value(true);
    json.null();
    json.begin_array();
    json.end_array();
    json.end_array();
    json.key("empty");
    json.begin_object();
    json.end_object();
    json.end_object();
    const std::string text = json.take();
    CHECK(text == R"({"name":"a\"b","count":18446744073709551615,"delta":-3,"ratio":0.5,)"
                  R"("nan":null,"list":[{},true,null,[]],"empty":{}})");
    const auto parsed = test::json::parse(text);
    INFO(parsed.error);
    CHECK(parsed.value.has_value());
}

TEST_CASE("json_escape keeps valid UTF-8 and replaces the rest", "[unit][base]") {
    CHECK(json_escape("plain") == "plain");
    CHECK(json_escape("q\"b\\n\n\x01") == "q\\\"b\\\\n\\n\\u0001");
    CHECK(json_escape("\xE2\x82\xAC") == "\xE2\x82\xAC");                          // €
    CHECK(json_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(json_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
}

TEST_CASE("json_escape escapes quotes, backslashes and control characters", "[unit][base]") {
    CHECK(json_escape("a\"b\\c\nd\x01") == "a\\\"b\\\\c\\nd\\u0001");
    CHECK(json_escape("\b\f\r\t\x1f\x7f/") == "\\b\\f\\r\\t\\u001f\\u007f/");
}

}  // namespace
}  // namespace lb
