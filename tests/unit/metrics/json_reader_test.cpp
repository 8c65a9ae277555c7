// The tests' JSON reader must be strict, or it would pass a broken /status.json.
#include "tests/support/json_reader.h"

#include <catch2/catch.hpp>
#include <string>

namespace lb::test::json {
namespace {

TEST_CASE("the JSON reader reads nested documents", "[unit][metrics]") {
    const auto parsed =
        parse(R"( {"a": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude00\n"], "b": {}} )");
    INFO(parsed.error);
    REQUIRE(parsed.value.has_value());
    const Value& json = *parsed.value;
    CHECK(json["a"].size() == 5);
    CHECK(json["a"][0].number() == 1);
    CHECK(json["a"][1].number() == -2500);
    CHECK(json["a"][2].boolean());
    CHECK(json["a"][3].is_null());
    CHECK(json["a"][4].string() == "x\xC3\xA9\xF0\x9F\x98\x80\n");
    CHECK(json["b"].is_object());
    CHECK(json["missing"].is_null());
    CHECK_FALSE(json.contains("missing"));
}

TEST_CASE("the JSON reader rejects what RFC 8259 does not allow", "[unit][metrics]") {
    struct Row {
        const char* what;
        std::string text;
    };
    const Row rows[] = {
        {"empty", ""},
        {"trailing comma", "[1,]"},
        {"trailing object comma", R"({"a":1,})"},
        {"single quotes", "['a']"},
        {"leading zero", "01"},
        {"bare dot", "1."},
        {"raw newline in string", "\"a\nb\""},
        {"unknown escape", R"("\x")"},
        {"lone surrogate", R"("\ud800")"},
        {"invalid UTF-8", "\"\xFF\""},
        {"duplicate key", R"({"a":1,"a":2})"},
        {"two values", "1 2"},
        {"unterminated", R"({"a":)"},
        {"NaN", "NaN"},
        {"too deep", std::string(300, '[') + std::string(300, ']')},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const auto parsed = parse(row.text);
        CHECK_FALSE(parsed.value.has_value());
        CHECK_FALSE(parsed.error.empty());
    }
}

TEST_CASE("the JSON reader refuses what is not JSON and decodes escapes", "[unit][metrics]") {
    for (const char* bad : {"", "{", "{\"a\":1,}", "[1 2]", "{'a':1}", "\"a\nb\"", "01", "NaN",
                            "{\"a\":1}x", "\"\\ud800\"", "\"\\x41\"", "[1.]"}) {
        INFO(bad);
        CHECK_FALSE(parse(bad).value);
    }
    const auto good = parse(R"( {"a":[1,-2.5e3,true,null],"b":"\u00e9\ud83d\ude00"} )");
    REQUIRE(good.value);
    CHECK(good.value->at("a").items().at(1).number() == -2500);
    CHECK(good.value->at("b").string() == "\xc3\xa9\xf0\x9f\x98\x80");
}

}  // namespace
}  // namespace lb::test::json
