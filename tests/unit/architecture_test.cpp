// The layout's rules, read from the sources themselves: which folder may include which, and no
// include cycle between folders. A new include that breaks a rule fails here with its file.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace lb::test {
namespace {

namespace fs = std::filesystem;

struct Include {
    std::string file;    // "lb/proxy/worker.cpp"
    std::string target;  // "lb/control/daemon.h"
};

// expect_status ranges are parsed by one dependency-free library of health/ that config/ uses
// to validate them (health/CMakeLists.txt: lb_status_ranges): a leaf of its own.
bool is_status_ranges(const std::string& path) {
    return path.rfind("health/status_ranges.", 0) == 0;
}

// "lb/proxy/worker.cpp" → "lb/proxy"; "health/probe.h" → "health"; "lb/cli.cpp" → "lb";
// the status ranges library is its own unit.
std::string folder_of(const std::string& path) {
    if (is_status_ranges(path)) return "health/status_ranges";
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::vector<Include> project_includes() {
    const fs::path root = LB_SOURCE_DIR;
    const std::regex include_line(R"re(^\s*#\s*include\s+"([^"]+)")re");
    std::vector<Include> out;
    for (const char* top : {"lb", "health", "config"}) {
        for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
            const std::string file = fs::relative(entry.path(), root).generic_string();
            std::ifstream in(entry.path());
            std::string line;
            std::smatch match;
            while (std::getline(in, line))
                if (std::regex_search(line, match, include_line))
                    out.push_back({file, match[1].str()});
        }
    }
    return out;
}

bool under(const std::string& path, const std::string& folder) {
    return path.rfind(folder + "/", 0) == 0;
}

TEST_CASE("the sources are found", "[unit][architecture]") {
    const auto includes = project_includes();
    CHECK(includes.size() > 200);
}

TEST_CASE("the data path includes nothing from the control plane", "[unit][architecture]") {
    for (const Include& inc : project_includes()) {
        if (!under(inc.file, "lb/proxy") && !under(inc.file, "lb/metrics")) continue;
        INFO(inc.file << " includes " << inc.target);
        for (const char* forbidden : {"lb/control", "lb/policy", "lb/admin", "lb/web", "lb/peer"})
            CHECK_FALSE(under(inc.target, forbidden));
        if (under(inc.file, "lb/metrics"))
            CHECK_FALSE((under(inc.target, "lb") && !under(inc.target, "lb/metrics")));
    }
}

TEST_CASE("config and health stand below lb", "[unit][architecture]") {
    for (const Include& inc : project_includes()) {
        if (!under(inc.file, "config") && !under(inc.file, "health")) continue;
        INFO(inc.file << " includes " << inc.target);
        CHECK_FALSE(under(inc.target, "lb"));
        if (under(inc.file, "config"))
            CHECK_FALSE((under(inc.target, "health") && !is_status_ranges(inc.target)));
        if (is_status_ranges(inc.file))  // a leaf: nothing of the project's but itself
            CHECK((inc.target.find('/') == std::string::npos || is_status_ranges(inc.target)));
    }
}

TEST_CASE("admin acts only through its Controller, nothing but the wiring includes control",
          "[unit][architecture]") {
    for (const Include& inc : project_includes()) {
        INFO(inc.file << " includes " << inc.target);
        if (under(inc.target, "lb/control"))
            CHECK((under(inc.file, "lb/control") || inc.file == "lb/cli.cpp"));
        if (under(inc.file, "lb/admin") || under(inc.file, "lb/web")) {
            CHECK_FALSE(under(inc.target, "lb/proxy"));
            CHECK_FALSE(under(inc.target, "lb/control"));
        }
    }
}

// peer may also use health/: its track targets are checked with the sites' TCP prober.
TEST_CASE("peer speaks only the policy's vocabulary, and only the wiring uses peer",
          "[unit][architecture]") {
    for (const Include& inc : project_includes()) {
        INFO(inc.file << " includes " << inc.target);
        if (under(inc.file, "lb/peer"))
            CHECK((under(inc.target, "lb/peer") || under(inc.target, "lb/base") ||
                   under(inc.target, "config") || under(inc.target, "health") ||
                   inc.target == "lb/policy/decision.h"));
        if (under(inc.target, "lb/peer"))
            CHECK((under(inc.file, "lb/peer") || under(inc.file, "lb/control") ||
                   under(inc.file, "lb/arbiter")));
    }
}

// The arbiter is a small mode of its own: it knows the lease protocol and the operator surfaces
// (admin socket, metrics), never the data path or the balancer's control plane.
TEST_CASE("the arbiter stands apart from the data path and the control plane, and only the "
          "command line starts it",
          "[unit][architecture]") {
    for (const Include& inc : project_includes()) {
        INFO(inc.file << " includes " << inc.target);
        if (under(inc.file, "lb/arbiter")) {
            CHECK_FALSE(under(inc.target, "lb/proxy"));
            CHECK_FALSE(under(inc.target, "lb/control"));
            CHECK_FALSE(under(inc.target, "lb/policy"));
        }
        if (under(inc.target, "lb/arbiter"))
            CHECK((under(inc.file, "lb/arbiter") || inc.file == "lb/cli.cpp"));
    }
}

TEST_CASE("no include cycle between folders", "[unit][architecture]") {
    std::map<std::string, std::set<std::string>> edges;
    for (const Include& inc : project_includes()) {
        const std::string from = folder_of(inc.file);
        const std::string to = folder_of(inc.target);
        if (!to.empty() && from != to) edges[from].insert(to);
    }
    // Depth-first search; a folder met again on the current path closes a cycle.
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::vector<std::string> cycles;
    std::function<void(const std::string&)> visit = [&](const std::string& folder) {
        state[folder] = 1;
        path.push_back(folder);
        for (const std::string& next : edges[folder]) {
            if (state[next] == 1) {
                std::string cycle;
                for (auto it = std::find(path.begin(), path.end(), next); it != path.end(); ++it)
                    cycle += *it + " -> ";
                cycles.push_back(cycle + next);
            } else if (state[next] == 0) {
                visit(next);
            }
        }
        path.pop_back();
        state[folder] = 2;
    };
    for (const auto& [folder, targets] : edges)
        if (state[folder] == 0) visit(folder);
    for (const std::string& cycle : cycles) INFO(cycle);
    CHECK(cycles.empty());
}

}  // namespace
}  // namespace lb::test
