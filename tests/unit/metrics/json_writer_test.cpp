// The JSON writer places commas and escapes by itself; what it writes must parse strictly.
#include "lb/metrics/json_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "tests/support/json_reader.h"

namespace lb::metrics {
namespace {

TEST_CASE("the JSON writer nests, separates and escapes", "[unit][metrics]") {
    JsonWriter json;
    json.open('{');
    json.field("name", std::string("a\"b"));
    json.field("count", std::uint64_t{18446744073709551615ULL});
    json.field("delta", std::int64_t{-3});
    json.field("ratio", 0.5);
    json.field("nan", std::numeric_limits<double>::quiet_NaN());
    json.key("list");
    json.open('[');
    json.open('{');
    json.close('}');
    json.boolean(true);
    json.null();
    json.open('[');
    json.close(']');
    json.close(']');
    json.key("empty");
    json.open('{');
    json.close('}');
    json.close('}');
    const std::string text = json.take();
    CHECK(text == R"({"name":"a\"b","count":18446744073709551615,"delta":-3,"ratio":0.5,)"
                  R"("nan":null,"list":[{},true,null,[]],"empty":{}})");
    const auto parsed = test::json::parse(text);
    INFO(parsed.error);
    CHECK(parsed.value.has_value());
}

TEST_CASE("json_escape keeps valid UTF-8 and replaces the rest", "[unit][metrics]") {
    CHECK(json_escape("plain") == "plain");
    CHECK(json_escape("q\"b\\n\n\x01") == "q\\\"b\\\\n\\n\\u0001");
    CHECK(json_escape("\xE2\x82\xAC") == "\xE2\x82\xAC");                          // €
    CHECK(json_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(json_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
}

}  // namespace
}  // namespace lb::metrics
