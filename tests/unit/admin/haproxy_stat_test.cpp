// `show stat` of a Status: HAProxy's numbering (frontend 2i+2, backend 2i+3, sid = site index +
// 1), its filters (proxy by iid or name, type mask, server id), the `up` and `no-maint`
// modifiers, and the three renderings. Pure: a Status value in, text out.
#include "lb/admin/haproxy_stat.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/haproxy_reference.h"
#include "tests/support/json_reader.h"
#include "tests/support/text_lines.h"

namespace lb::admin::haproxy {
namespace {

using lb::test::split;

namespace json = lb::test::json;

// Two listeners (web, ssh); site-a primary, up; site-b standby, down.
Status two_listeners() {
    Status status;
    status.version = "0.1.0";
    status.uptime_s = 500;
    status.max_connections = 1000;
    SiteStatus a;
    a.name = "site-a";
    a.role = config::SiteRole::Primary;
    a.address = "10.0.0.11";
    a.health = health::Health::Up;
    a.check_kind = config::CheckKind::Tcp;
    a.rise = 2;
    a.fall = 3;
    SiteStatus b = a;
    b.name = "site-b";
    b.role = config::SiteRole::Standby;
    b.address = "10.0.0.12";
    b.health = health::Health::Down;
    status.sites = {a, b};
    ListenerStatus web;
    web.name = "web";
    web.target_port = 443;
    ListenerStatus ssh;
    ssh.name = "ssh";
    ssh.target_port = 22;
    status.listeners = {web, ssh};
    return status;
}

ShowStat filtered(std::optional<std::string> proxy, int types, std::optional<int> sid) {
    ShowStat command;
    command.filter = StatFilter{std::move(proxy), types, sid};
    return command;
}

struct Row {
    std::string name;  // "pxname/svname"
    std::map<std::string, std::string> cells;
};

// The CSV reply as rows; REQUIREs HAProxy's header and 128 cells per row.
std::vector<Row> rows_of(const Result<std::string>& reply) {
    INFO((reply.ok() ? reply.value() : reply.error()));
    REQUIRE(reply.ok());
    std::istringstream in(reply.value());
    std::string header;
    REQUIRE(std::getline(in, header));
    REQUIRE(header == lb::test::kHaproxy26StatHeader);
    const auto names = split(header.substr(2, header.size() - 3), ',');
    REQUIRE(names.size() == 128);
    std::vector<Row> rows;
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        REQUIRE(line.ends_with(","));
        const auto cells = split(line.substr(0, line.size() - 1), ',');
        REQUIRE(cells.size() == names.size());
        Row row;
        for (std::size_t i = 0; i < names.size(); ++i) row.cells[names[i]] = cells[i];
        row.name = row.cells["pxname"] + "/" + row.cells["svname"];
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::string> names(const std::vector<Row>& rows) {
    std::vector<std::string> out;
    for (const Row& row : rows) out.push_back(row.name);
    return out;
}

const Row& find(const std::vector<Row>& rows, std::string_view name) {
    for (const Row& row : rows)
        if (row.name == name) return row;
    FAIL("no row " << name);
    return rows.front();
}

TEST_CASE("show stat: per listener a frontend, its servers, a backend, numbered as HAProxy",
          "[unit][admin]") {
    const auto rows = rows_of(format_show_stat(two_listeners(), ShowStat{}));
    CHECK(names(rows) == std::vector<std::string>{"web/FRONTEND", "web/site-a", "web/site-b",
                                                  "web/BACKEND", "ssh/FRONTEND", "ssh/site-a",
                                                  "ssh/site-b", "ssh/BACKEND"});
    CHECK(find(rows, "web/FRONTEND").cells.at("iid") == "2");
    CHECK(find(rows, "web/FRONTEND").cells.at("sid") == "0");
    CHECK(find(rows, "web/FRONTEND").cells.at("type") == "0");
    CHECK(find(rows, "web/site-a").cells.at("iid") == "3");
    CHECK(find(rows, "web/site-a").cells.at("sid") == "1");
    CHECK(find(rows, "web/site-a").cells.at("type") == "2");
    CHECK(find(rows, "web/site-b").cells.at("sid") == "2");
    CHECK(find(rows, "web/BACKEND").cells.at("iid") == "3");
    CHECK(find(rows, "web/BACKEND").cells.at("type") == "1");
    CHECK(find(rows, "ssh/FRONTEND").cells.at("iid") == "4");
    CHECK(find(rows, "ssh/BACKEND").cells.at("iid") == "5");
    CHECK(find(rows, "ssh/site-b").cells.at("addr") == "10.0.0.12:22");
    CHECK(frontend_iid(0) == 2);
    CHECK(backend_iid(0) == 3);
    CHECK(frontend_iid(1) == 4);
    CHECK(backend_iid(1) == 5);
}

TEST_CASE("show stat filters by proxy iid or name, type mask and server id", "[unit][admin]") {
    const Status status = two_listeners();
    struct Case {
        const char* what;
        ShowStat command;
        std::vector<std::string> rows;
    };
    const std::vector<Case> cases = {
        {"every proxy, every type",
         filtered(std::nullopt, 7, std::nullopt),
         {"web/FRONTEND", "web/site-a", "web/site-b", "web/BACKEND", "ssh/FRONTEND", "ssh/site-a",
          "ssh/site-b", "ssh/BACKEND"}},
        {"frontend iid 2", filtered("2", 7, std::nullopt), {"web/FRONTEND"}},
        {"backend iid 3: servers and backend",
         filtered("3", 7, std::nullopt),
         {"web/site-a", "web/site-b", "web/BACKEND"}},
        {"backend iid 5",
         filtered("5", 7, std::nullopt),
         {"ssh/site-a", "ssh/site-b", "ssh/BACKEND"}},
        // HAProxy resolves a name to the first proxy of that name: the frontend.
        {"by name: the frontend", filtered("ssh", 7, std::nullopt), {"ssh/FRONTEND"}},
        {"frontends only",
         filtered(std::nullopt, 1, std::nullopt),
         {"web/FRONTEND", "ssh/FRONTEND"}},
        {"backends only", filtered(std::nullopt, 2, std::nullopt), {"web/BACKEND", "ssh/BACKEND"}},
        {"servers only",
         filtered(std::nullopt, 4, std::nullopt),
         {"web/site-a", "web/site-b", "ssh/site-a", "ssh/site-b"}},
        {"a name has no servers or backend", filtered("web", 6, std::nullopt), {}},
        {"backends and servers of web's backend",
         filtered("3", 6, std::nullopt),
         {"web/site-a", "web/site-b", "web/BACKEND"}},
        {"one server", filtered("3", 4, 2), {"web/site-b"}},
        {"an unknown iid matches nothing", filtered("99", 7, std::nullopt), {}},
        {"one server id everywhere",
         filtered(std::nullopt, 7, 1),
         {"web/FRONTEND", "web/site-a", "web/BACKEND", "ssh/FRONTEND", "ssh/site-a",
          "ssh/BACKEND"}},
        {"type 0 matches nothing", filtered("web", 0, std::nullopt), {}},
        {"a server id that does not exist", filtered("3", 4, 9), {}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(names(rows_of(format_show_stat(status, c.command))) == c.rows);
    }
}

TEST_CASE("show stat of an unknown proxy is HAProxy's \"No such proxy.\"", "[unit][admin]") {
    const Status status = two_listeners();
    // A name must exist; a number need not (it matches nothing, as in HAProxy).
    for (const char* proxy : {"nope", "WEB", "web2", "3x"}) {
        INFO(proxy);
        const auto reply = format_show_stat(status, filtered(proxy, 7, std::nullopt));
        REQUIRE_FALSE(reply.ok());
        CHECK(reply.error() == "No such proxy.");
    }
}

TEST_CASE("up and no-maint hide servers and count the running ones in the backend status",
          "[unit][admin]") {
    Status status = two_listeners();
    ShowStat up;
    up.up_only = true;
    auto rows = rows_of(format_show_stat(status, up));
    CHECK(names(rows) == std::vector<std::string>{"web/FRONTEND", "web/site-a", "web/BACKEND",
                                                  "ssh/FRONTEND", "ssh/site-a", "ssh/BACKEND"});
    CHECK(find(rows, "web/BACKEND").cells.at("status") == "UP (1/2)");

    ShowStat no_maint;
    no_maint.no_maint = true;
    rows = rows_of(format_show_stat(status, no_maint));
    CHECK(names(rows).size() == 8);  // site-b is down, not in maintenance: still listed
    CHECK(find(rows, "web/BACKEND").cells.at("status") == "UP (1/2)");

    status.sites[1].admin_state = policy::AdminState::Maint;
    rows = rows_of(format_show_stat(status, no_maint));
    CHECK(names(rows) == std::vector<std::string>{"web/FRONTEND", "web/site-a", "web/BACKEND",
                                                  "ssh/FRONTEND", "ssh/site-a", "ssh/BACKEND"});

    status.sites[1].admin_state = policy::AdminState::Ready;
    status.sites[1].health = health::Health::Up;
    rows = rows_of(format_show_stat(status, up));
    CHECK(names(rows).size() == 8);
    CHECK(find(rows, "ssh/BACKEND").cells.at("status") == "UP (2/2)");

    status.sites[0].health = health::Health::Down;
    status.sites[1].health = health::Health::Down;
    rows = rows_of(format_show_stat(status, up));
    CHECK(names(rows) ==
          std::vector<std::string>{"web/FRONTEND", "web/BACKEND", "ssh/FRONTEND", "ssh/BACKEND"});
    CHECK(find(rows, "web/BACKEND").cells.at("status") == "DOWN (0/2)");

    // Without a modifier, no count.
    rows = rows_of(format_show_stat(status, ShowStat{}));
    CHECK(find(rows, "web/BACKEND").cells.at("status") == "DOWN");
}

TEST_CASE("show stat typed and json render the same rows", "[unit][admin]") {
    const Status status = two_listeners();
    ShowStat typed = filtered(std::nullopt, 7, std::nullopt);
    typed.format = HaproxyFormat::Typed;
    const auto reply = format_show_stat(status, typed);
    REQUIRE(reply.ok());
    const std::string& text = reply.value();
    CHECK(text.starts_with("F.2.0.0.pxname.1:KNS:str:web\nF.2.0.1.svname.1:KNS:str:FRONTEND\n"));
    CHECK(text.find("S.3.1.1.svname.1:KNS:str:site-a\n") != std::string::npos);
    CHECK(text.find("S.3.2.1.svname.1:KNS:str:site-b\n") != std::string::npos);
    CHECK(text.find("B.3.0.1.svname.1:KNS:str:BACKEND\n") != std::string::npos);
    CHECK(text.find("# pxname") == std::string::npos);  // no CSV header
    CHECK(text.find("\n\n") == std::string::npos);

    ShowStat as_json = filtered(std::nullopt, 7, std::nullopt);
    as_json.format = HaproxyFormat::Json;
    const auto json_reply = format_show_stat(status, as_json);
    REQUIRE(json_reply.ok());
    const json::ParseResult parsed = json::parse(json_reply.value());
    INFO(parsed.error << "\n" << json_reply.value());
    REQUIRE(parsed.value.has_value());
    const json::Value& objects = *parsed.value;
    REQUIRE(objects.size() == 8);  // per listener: frontend, two servers, backend, an array each
    const std::vector<std::string> types = {"Frontend", "Server", "Server", "Backend"};
    for (std::size_t i = 0; i < types.size(); ++i) {
        INFO("object " << i);
        REQUIRE(objects[i].is_array());
        REQUIRE(objects[i].size() > 2);
        CHECK(objects[i][0]["objType"].string() == types[i]);
        CHECK(objects[i][0]["field"]["name"].string() == "pxname");
        CHECK(objects[i][0]["value"]["value"].string() == "web");
    }
    CHECK(objects[2][0]["id"].literal() == "2");
    CHECK(objects[3][0]["proxyId"].literal() == "3");

    ShowStat none = filtered("web", 0, std::nullopt);
    none.format = HaproxyFormat::Json;
    CHECK(format_show_stat(status, none).value() == "[]\n");
    none.format = HaproxyFormat::Typed;
    CHECK(format_show_stat(status, none).value().empty());
}

}  // namespace
}  // namespace lb::admin::haproxy
