// arbiter.toml: the reference example loads with its values, the defaults hold, and each mistake
// is reported as file:line:col with its key.
#include "config/arbiter_config.h"

#include <catch2/catch.hpp>
#include <string>

namespace lb::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kExample = R"([arbiter]
bind = "10.0.0.50:5406"
key_file = "/etc/lb/peer.key"
members = ["lb1", "lb2"]
lease = "300ms"
state_file = "/var/lib/lb/arbiter-state.json"

[admin]
socket = "/run/lb/arbiter.sock"

[metrics]
listen = "127.0.0.1:9101"
)";

TEST_CASE("an arbiter file with only what is required gets the documented defaults",
          "[unit][config]") {
    Diagnostics out;
    const auto config = load_arbiter_config_from_string(
        "[arbiter]\nbind = \"10.0.0.50:5406\"\nkey_file = \"/etc/lb/peer.key\"\n"
        "members = [\"lb1\", \"lb2\"]\n",
        "arbiter.toml", out);
    INFO(out.to_string());
    REQUIRE(config);
    CHECK(config->lease == 600ms);  // 3 × the default advert_interval (200ms)
    CHECK(config->state_file == "/var/lib/lb/arbiter-state.json");
    CHECK(config->admin.socket == "/run/lb/arbiter.sock");
    CHECK(config->admin.mode == 0660U);
    REQUIRE(config->metrics.listen);
    CHECK(config->metrics.listen->to_string() == "127.0.0.1:9101");
}

TEST_CASE("the arbiter's example loads with the values it spells out", "[unit][config]") {
    Diagnostics out;
    const auto config = load_arbiter_config_from_string(kExample, "arbiter.toml", out);
    INFO(out.to_string());
    REQUIRE(config);
    CHECK(config->bind.to_string() == "10.0.0.50:5406");
    CHECK(config->key_file == "/etc/lb/peer.key");
    CHECK(config->members == std::vector<std::string>{"lb1", "lb2"});
    CHECK(config->lease == 300ms);
    CHECK(config->state_file == "/var/lib/lb/arbiter-state.json");
    CHECK(config->admin.socket == "/run/lb/arbiter.sock");
    REQUIRE(config->metrics.listen);
    CHECK(config->metrics.listen->to_string() == "127.0.0.1:9101");
    CHECK(is_arbiter_config(kExample));
    CHECK_FALSE(is_arbiter_config("[global]\nworkers = 1\n"));
}

TEST_CASE("the arbiter's mistakes name file, line, column and key", "[unit][config]") {
    struct Row {
        std::string toml;
        std::string expected;
    };
    const std::string head = "[arbiter]\nbind = \"10.0.0.50:5406\"\nkey_file = \"k\"\n";
    const std::vector<Row> rows = {
        {"[admin]\nsocket = \"/x\"\n", "a.toml:1:1: error: arbiter: missing required key"},
        {head + "members = [\"lb1\"]\n",
         "a.toml:4:11: error: arbiter.members: must name exactly the two instance ids of the "
         "pair, got 1"},
        {head + "members = [\"lb1\", \"lb1\"]\n",
         "a.toml:4:11: error: arbiter.members: must name two different instance ids, got "
         "\"lb1\" twice"},
        {head + "members = [\"lb1\", \"lb2\"]\nlease = 300\n",
         "a.toml:5:9: error: arbiter.lease: expected a duration such as \"500ms\", got "
         "integer 300"},
        {head + "members = [\"lb1\", \"lb 2\"]\n",
         "a.toml:4:19: error: arbiter.members[1]: an instance id is 1 to 32 letters, digits, '-', "
         "'_' or '.', got \"lb 2\""},
        {head + "members = [\"lb1\", \"lb2\"]\nlease = \"2m\"\n",
         "a.toml:5:9: error: arbiter.lease: must be at most 1m"},
        {head + "members = [\"lb1\", \"lb2\"]\nleese = \"1s\"\n",
         "a.toml:5:1: error: arbiter.leese: unknown key (did you mean \"lease\"?)"},
    };
    for (const Row& row : rows) {
        Diagnostics out;
        const auto config = load_arbiter_config_from_string(row.toml, "a.toml", out);
        INFO(row.toml << "--- reported\n" << out.to_string());
        CHECK_FALSE(config);
        CHECK(out.to_string().find(row.expected) != std::string::npos);
    }
}

}  // namespace
}  // namespace lb::config
