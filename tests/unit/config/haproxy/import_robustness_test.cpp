// Whatever the input, the import neither crashes nor writes a TOML lb refuses: random bytes,
// random lines of HAProxy's vocabulary, and every data file truncated and mutated. Bounded loops
// with fixed seeds, so a failure is reproducible (the input is printed).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/config/haproxy/haproxy_test_support.h"

namespace lb::config::haproxy {
namespace {

// Imports `text`; when a TOML comes out, lb's loader must accept it. True when one came out.
bool require_sound(const std::string& text) {
    const auto run = testing::run_import(text, {{"A", "10.0.0.1"}, {"L", "x y  z"}});
    if (!run.toml) {
        CHECK_FALSE(run.errors.empty());
        return false;
    }
    if (!run.config || !run.check_problems.empty()) {
        INFO("input:\n" << text);
        INFO(run.report);
        CHECK(run.config.has_value());
        CHECK(run.check_problems.empty());
    }
    return true;
}

std::vector<std::string> data_files() {
    std::vector<std::string> out;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy")) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        out.push_back(text.str());
    }
    REQUIRE(out.size() >= 8);
    return out;
}

TEST_CASE("import robustness: random bytes", "[unit][config][import]") {
    std::mt19937 random(20261206);
    // Mostly characters that mean something to the tokenizer, some anything.
    const std::string alphabet = " \t\n\r#'\"\\${}[]*:-@,.0123456789abcdefx/";
    for (int round = 0; round < 400; ++round) {
        std::string text;
        const auto length = std::uniform_int_distribution<std::size_t>(0, 600)(random);
        for (std::size_t i = 0; i < length; ++i) {
            if (random() % 4 == 0)
                text += static_cast<char>(random() % 256);
            else
                text += alphabet[random() % alphabet.size()];
        }
        (void)require_sound(text);
    }
}

TEST_CASE("import robustness: random lines of HAProxy's vocabulary", "[unit][config][import]") {
    const std::vector<std::string> heads = {
        "global", "defaults", "frontend f", "frontend g", "backend b", "backend c", "listen l",
        "defaults d", "backend e from d", "peers p", "bind", "server", "default-server", "mode",
        "option", "http-check", "tcp-check", "timeout", "retries", "default_backend",
        "use_backend", "stats", "maxconn", "nbthread", "balance", "acl", "no option", "log"};
    const std::vector<std::string> words = {
        "b", "c", "e", "s1", "s2", "10.0.0.1", "10.0.0.2:80", "[fd00::1]:443", "fd00::2",
        "*:80", ":443", ":::8443", "ipv6@::1:9", ":1-9", ":0", ":65536", "unix@/x", "check",
        "backup", "inter", "5s", "0", "100us", "1d", "99999999999", "rise", "fall", "port",
        "8080", "send-proxy", "send-proxy-v2", "check-ssl", "verify", "required", "ca-file",
        "/ca.pem", "httpchk", "tcp-check", "redispatch", "GET", "/health",
        "HTTP/1.1\\r\\nHost:\\ x", "send", "meth", "uri", "hdr", "Host", "expect", "status",
        "rstatus", "^2", "(((", "string", "!", "connect", "client", "server", "tunnel", "check",
        "queue", "socket", "/run/s.sock", "mode", "660", "9999", "level", "admin", "enable",
        "http", "tcp", "\"${A}:80\"", "\"${L[*]}\"", "'q'", "#c", "\\x41", "ssl", "crt", "-1"};
    std::mt19937 random(4242);
    int converted = 0;
    for (int round = 0; round < 300; ++round) {
        // Every other file starts from a pair that converts, so the random lines reach the
        // converter and the writer rather than only the refusals.
        std::string text = round % 2 == 0 ? "frontend f\n bind :80\n default_backend b\n"
                                            "backend b\n server s1 10.0.0.1:80 check\n"
                                            " server s2 10.0.0.2:80 check backup\n"
                                          : "";
        const int lines = static_cast<int>(random() % 40);
        for (int l = 0; l < lines; ++l) {
            text += heads[random() % heads.size()];
            const int count = static_cast<int>(random() % 7);
            for (int w = 0; w < count; ++w) text += " " + words[random() % words.size()];
            text += "\n";
        }
        if (require_sound(text)) ++converted;
    }
    CHECK(converted > 0);  // the loop reaches the converter and the writer, not only refusals
}

TEST_CASE("import robustness: the data files truncated and mutated", "[unit][config][import]") {
    std::mt19937 random(7);
    int converted = 0;
    for (const std::string& file : data_files()) {
        for (std::size_t cut = 0; cut < file.size(); cut += 13)
            if (require_sound(file.substr(0, cut))) ++converted;
        for (int round = 0; round < 40; ++round) {
            std::string mutated = file;
            const int edits = 1 + static_cast<int>(random() % 4);
            for (int e = 0; e < edits && !mutated.empty(); ++e) {
                const std::size_t at = random() % mutated.size();
                switch (random() % 3) {
                    case 0:
                        mutated[at] = static_cast<char>(random() % 256);
                        break;
                    case 1:
                        mutated.erase(at, 1 + random() % 8);
                        break;
                    default:
                        mutated.insert(at, mutated.substr(random() % mutated.size(), 1 + random() % 20));
                }
            }
            if (require_sound(mutated)) ++converted;
        }
    }
    CHECK(converted > 100);
}

}  // namespace
}  // namespace lb::config::haproxy
