// StateFile and its JSON codec, each test in its own temporary directory.
// Invariants checked: save is atomic and tidy, load never writes, corrupt means "start fresh".
#include "lb/policy/state_file.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "lb/policy/failover_policy.h"
#include "tests/support/temp_dir.h"

namespace lb::policy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const SiteNames kNames{"site-a", "site-b"};
// 2026-11-25T08:00:00Z
const auto kUpdated = std::chrono::system_clock::time_point(std::chrono::seconds(1795593600));

// A fresh directory under $TMPDIR, removed with everything in it; entries() lists its files.
class StateDir : public test::TempDir {
public:
    StateDir() : TempDir("sitelb-policy") { REQUIRE(fs::is_directory(path())); }
    [[nodiscard]] std::set<std::string> entries() const {
        std::set<std::string> names;
        for (const auto& entry : fs::directory_iterator(path()))
            names.insert(entry.path().filename().string());
        return names;
    }
};

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("encode_state writes the documented one-line object", "[unit][policy]") {
    CHECK(encode_state(Decision{kStandby, std::nullopt, 7}, kNames, kUpdated) ==
          "{\"active\":\"site-b\",\"pinned\":null,\"epoch\":7,"
          "\"updated\":\"2026-11-25T08:00:00Z\"}\n");
    CHECK(encode_state(Decision{kPrimary, kPrimary, 0}, kNames, kUpdated) ==
          "{\"active\":\"site-a\",\"pinned\":\"site-a\",\"epoch\":0,"
          "\"updated\":\"2026-11-25T08:00:00Z\"}\n");
}

TEST_CASE("a saved decision loads back", "[unit][policy]") {
    StateDir dir;
    const StateFile file(dir.path() / "state.json", kNames);
    for (const Decision& decision :
         {Decision{kStandby, std::nullopt, 7}, Decision{kPrimary, kPrimary, 1},
          Decision{kStandby, kStandby, 18446744073709551615ull}}) {
        REQUIRE_FALSE(file.save(decision, kUpdated));
        const LoadedState loaded = file.load();
        CHECK(loaded.status == LoadStatus::Loaded);
        CHECK(loaded.message.empty());
        CHECK(loaded.decision == decision);
    }
}

TEST_CASE("site names that need escaping round-trip", "[unit][policy]") {
    const SiteNames names{"dc \"north\"\\1", "dc\tsouth/é"};
    const std::string text = encode_state(Decision{kStandby, kStandby, 3}, names, kUpdated);
    const LoadedState loaded = decode_state(text, names);
    CHECK(loaded.status == LoadStatus::Loaded);
    CHECK(loaded.decision == Decision{kStandby, kStandby, 3});
}

TEST_CASE("unicode escapes decode to UTF-8, surrogate pairs included", "[unit][policy]") {
    const SiteNames names{"site-a", "caf\u00e9 \U0001F600"};
    const LoadedState loaded =
        decode_state(R"({"active":"caf\u00E9 \ud83d\ude00","epoch":1})", names);
    CHECK(loaded.message.empty());
    CHECK(loaded.decision == Decision{kStandby, std::nullopt, 1});
}

TEST_CASE("save leaves no temporary files and replaces the old file", "[unit][policy]") {
    StateDir dir;
    const StateFile file(dir.path() / "state.json", kNames);
    for (std::uint64_t epoch = 1; epoch <= 3; ++epoch)
        REQUIRE_FALSE(file.save(Decision{kStandby, std::nullopt, epoch}, kUpdated));
    CHECK(dir.entries() == std::set<std::string>{"state.json"});
    CHECK(file.load().decision.epoch == 3);
    CHECK((fs::status(file.path()).permissions() & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("a failed save reports why and leaves nothing behind", "[unit][policy]") {
    StateDir dir;
    SECTION("the directory does not exist") {
        const StateFile file(dir.path() / "missing" / "state.json", kNames);
        const auto error = file.save(Decision{}, kUpdated);
        REQUIRE(error);
        CHECK_THAT(error->message, Catch::Contains((dir.path() / "missing").string()));
    }
    SECTION("the target is a directory: the rename fails after the temporary file was written") {
        fs::create_directory(dir.path() / "state.json");
        const StateFile file(dir.path() / "state.json", kNames);
        const auto error = file.save(Decision{}, kUpdated);
        REQUIRE(error);
        CHECK_THAT(error->message, Catch::Contains("rename"));
        CHECK(dir.entries() == std::set<std::string>{"state.json"});
    }
    SECTION("an invalid decision is not written") {
        const StateFile file(dir.path() / "state.json", kNames);
        CHECK(file.save(Decision{kPrimary, kStandby, 1}, kUpdated));
        CHECK(file.save(Decision{4, std::nullopt, 1}, kUpdated));
        CHECK(dir.entries().empty());
    }
}

TEST_CASE("remove_leftovers removes the temporary files of interrupted saves, nothing else",
          "[unit][policy]") {
    StateDir dir;
    const StateFile file(dir.path() / "state.json", kNames);
    REQUIRE_FALSE(file.save(Decision{kStandby, std::nullopt, 2}, kUpdated));
    for (const char* name : {"state.json.tmp.a1B2c3", "state.json.tmp.zzzzzz", "state.json.tmp.x",
                             "state.json.tmp.toolong1", "other.json.tmp.a1B2c3", "state.json.bak"})
        write_text(dir.path() / name, "{");
    CHECK(file.remove_leftovers() == 2);
    CHECK(dir.entries() == std::set<std::string>{"state.json", "state.json.tmp.x",
                                                 "state.json.tmp.toolong1", "other.json.tmp.a1B2c3",
                                                 "state.json.bak"});
    CHECK(file.load().decision.epoch == 2);
    CHECK(file.remove_leftovers() == 0);
}

TEST_CASE("a missing state file means the primary at epoch 0", "[unit][policy]") {
    StateDir dir;
    const StateFile file(dir.path() / "state.json", kNames);
    const LoadedState loaded = file.load();
    CHECK(loaded.status == LoadStatus::Missing);
    CHECK(loaded.decision == Decision{});
    CHECK_THAT(loaded.message, Catch::Contains("not found"));
    CHECK(dir.entries().empty());  // and load did not create it
}

TEST_CASE("decode_state is tolerant of layout, strict about types", "[unit][policy]") {
    struct Row {
        const char* what;
        const char* text;
        Decision expected;
    };
    const Row rows[] = {
        {"pretty-printed, other order",
         "\n  {\r\n\t\"epoch\" : 7 ,\n \"updated\": \"x\",\n \"pinned\" : null, \"active\":"
         " \"site-b\" }\n\n",
         Decision{kStandby, std::nullopt, 7}},
        {"optional keys absent", R"({"active":"site-a","epoch":0})", Decision{}},
        {"pinned", R"({"active":"site-b","pinned":"site-b","epoch":2})",
         Decision{kStandby, kStandby, 2}},
        {"unknown keys of any type are skipped",
         R"({"active":"site-b","epoch":3,"note":{"a":[1,2.5e3,true,null,{}]},"v":-1})",
         Decision{kStandby, std::nullopt, 3}},
        {"escaped name", R"({"active":"\u0073ite-\u0062","epoch":4})",
         Decision{kStandby, std::nullopt, 4}},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const LoadedState loaded = decode_state(row.text, kNames);
        CHECK(loaded.message.empty());
        CHECK(loaded.status == LoadStatus::Loaded);
        CHECK(loaded.decision == row.expected);
    }
}

struct CorruptRow {
    const char* what;
    const char* text;
    const char* message;  // a substring of the error
};

const CorruptRow kCorrupt[] = {
    {"empty", "", "empty file"},
    {"blank", " \n ", "empty file"},
    {"garbage", "hello", "line 1, column 1: expected '{', found 'h'"},
    {"binary", "\x01\x02", "expected '{', found a byte"},
    {"truncated in a key", R"({"active":"site-b","pinn)", "unexpected end of file in a string"},
    {"truncated after a value", R"({"active":"site-b","pinned":null,"epoch":7)",
     "unexpected end of file, expected ',' or '}'"},
    {"truncated number", R"({"active":"site-b","epoch":-)", "expected a digit"},
    {"a top-level array", "[]", "expected '{'"},
    {"trailing comma", R"({"active":"site-b",})", "expected a string key"},
    {"text after the object", R"({"active":"site-b","epoch":1} x)", "unexpected text after"},
    {"two objects", R"({"active":"site-b","epoch":1}{})", "unexpected text after"},
    {"missing colon", R"({"active" "site-b"})", "expected ':'"},
    {"bad literal", R"({"active":nul})", "expected a value"},
    {"bad escape", R"({"active":"site-\x"})", "invalid escape"},
    {"lone surrogate", R"({"active":"\ud800"})", "unpaired surrogate"},
    {"raw newline in a string", "{\"active\":\"site\n-b\"}", "control character"},
    {"leading zero", R"({"active":"site-b","epoch":07})", "expected ',' or '}'"},
    {"deep nesting", R"({"x":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]})", "nested too deeply"},
    {"epoch is a string", R"({"active":"site-b","epoch":"7"})",
     "epoch: expected a non-negative integer, got a string"},
    {"epoch is negative", R"({"active":"site-b","epoch":-1})", "non-negative integer"},
    {"epoch is fractional", R"({"active":"site-b","epoch":7.0})", "got a number"},
    {"epoch overflows", R"({"active":"site-b","epoch":18446744073709551616})", "out of range"},
    {"epoch missing", R"({"active":"site-b"})", "missing key \"epoch\""},
    {"active missing", R"({"epoch":1})", "missing key \"active\""},
    {"active is a number", R"({"active":1,"epoch":1})", "active: expected a site name, got an"},
    {"active is null", R"({"active":null,"epoch":1})", "got null"},
    {"unknown active site", R"({"active":"site-z","epoch":1})",
     "active: unknown site \"site-z\" (the sites are \"site-a\" and \"site-b\")"},
    {"pinned is a boolean", R"({"active":"site-b","pinned":true,"epoch":1})",
     "pinned: expected null or a site name, got a boolean"},
    {"unknown pinned site", R"({"active":"site-b","pinned":"site-c","epoch":1})",
     "pinned: unknown site \"site-c\""},
    {"pinned elsewhere", R"({"active":"site-b","pinned":"site-a","epoch":1})",
     "is not the active site"},
    {"updated is a number", R"({"active":"site-b","epoch":1,"updated":5})",
     "updated: expected a timestamp string"},
    {"duplicate key", R"({"active":"site-b","epoch":1,"active":"site-a"})",
     "duplicate key \"active\""},
};

TEST_CASE("decode_state rejects corrupt text with a position", "[unit][policy]") {
    for (const CorruptRow& row : kCorrupt) {
        INFO(row.what);
        const LoadedState loaded = decode_state(row.text, kNames);
        CHECK(loaded.status == LoadStatus::Invalid);
        CHECK(loaded.decision == Decision{});
        CHECK_THAT(loaded.message, Catch::Contains(row.message));
    }
    const LoadedState multi_line =
        decode_state("{\n  \"active\": \"site-b\",\n  \"epoch\": \"7\"\n}", kNames);
    CHECK_THAT(multi_line.message, Catch::StartsWith("line 3, column 3: epoch:"));
}

TEST_CASE("a syntax error is placed at the token that breaks the text", "[unit][policy]") {
    struct Row {
        const char* what;
        std::string text;
        const char* message;  // the whole error
    };
    const Row rows[] = {
        {"a trailing comma on its own line", "{\n  \"active\": \"site-b\",\n  \"epoch\": 7,\n}",
         "line 4, column 1: expected a string key, found '}'"},
        {"a byte after a number", R"({"active":"site-b","epoch":1x})",
         "line 1, column 29: expected ',' or '}', found 'x'"},
        {"a literal cut short", "{\"active\":\n  nul}",
         "line 2, column 3: expected a value, found 'n'"},
        {"an escape", "{\"active\":\"site-b\",\n\"epoch\":\"7\\q\"}",
         "line 2, column 12: invalid escape in a string"},
        {"a NUL byte after the object", std::string("{\"active\":\"site-b\",\"epoch\":1}\0", 30),
         "line 1, column 30: unexpected NUL byte"},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const LoadedState loaded = decode_state(row.text, kNames);
        CHECK(loaded.status == LoadStatus::Invalid);
        CHECK(loaded.message == row.message);
    }
}

TEST_CASE("a corrupt state file is reported, ignored and left untouched", "[unit][policy]") {
    StateDir dir;
    const fs::path path = dir.path() / "state.json";
    const StateFile file(path, kNames);
    for (const CorruptRow& row : kCorrupt) {
        INFO(row.what);
        write_text(path, row.text);
        const auto modified = fs::last_write_time(path);
        const LoadedState loaded = file.load();
        CHECK(loaded.status == LoadStatus::Invalid);
        CHECK(loaded.decision == Decision{});
        CHECK_THAT(loaded.message, Catch::StartsWith("state file " + path.string() + ": "));
        CHECK_THAT(loaded.message, Catch::Contains(row.message));
        CHECK_THAT(loaded.message, Catch::Contains("starting on the primary site site-a"));
        CHECK(read_text(path) == row.text);
        CHECK(fs::last_write_time(path) == modified);
        CHECK(dir.entries() == std::set<std::string>{"state.json"});
    }
    // The next real change replaces it.
    REQUIRE_FALSE(file.save(Decision{kStandby, std::nullopt, 1}, kUpdated));
    CHECK(file.load().status == LoadStatus::Loaded);
}

TEST_CASE("an unreadable or oversized state file is treated like a corrupt one", "[unit][policy]") {
    StateDir dir;
    SECTION("a directory") {
        fs::create_directory(dir.path() / "state.json");
        const LoadedState loaded = StateFile(dir.path() / "state.json", kNames).load();
        CHECK(loaded.status == LoadStatus::Invalid);
        CHECK_THAT(loaded.message, Catch::Contains("Is a directory"));
    }
    SECTION("too large") {
        const fs::path path = dir.path() / "state.json";
        write_text(path, std::string(100 * 1024, ' '));
        const LoadedState loaded = StateFile(path, kNames).load();
        CHECK(loaded.status == LoadStatus::Invalid);
        CHECK_THAT(loaded.message, Catch::Contains("larger than 64 KiB"));
        CHECK(fs::file_size(path) == 100 * 1024);
    }
}

TEST_CASE("a restart after a failover stays on the standby", "[unit][policy]") {
    StateDir dir;
    const StateFile file(dir.path() / "state.json", kNames);
    const TimePoint start{};
    {
        FailoverPolicy before(kNames, config::Policy{}, file.load().decision);
        CHECK_FALSE(before.on_health(kPrimary, SiteHealth::Up, start));
        CHECK_FALSE(before.on_health(kStandby, SiteHealth::Up, start));
        const auto change = before.on_health(kPrimary, SiteHealth::Down, start + 1s);
        REQUIRE(change);
        REQUIRE_FALSE(file.save(before.decision(), kUpdated));
    }
    const LoadedState loaded = file.load();
    REQUIRE(loaded.status == LoadStatus::Loaded);
    FailoverPolicy after(kNames, config::Policy{}, loaded.decision);
    CHECK(after.decision() == Decision{kStandby, std::nullopt, 1});
    // The restarted instance sees the primary first (it recovered meanwhile): still no flip.
    CHECK_FALSE(after.on_health(kPrimary, SiteHealth::Up, start));
    CHECK_FALSE(after.on_health(kStandby, SiteHealth::Up, start));
    CHECK(after.active() == kStandby);
}

}  // namespace
}  // namespace lb::policy
