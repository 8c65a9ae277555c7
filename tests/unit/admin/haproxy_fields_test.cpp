// HAProxy 2.6's typed fields behind `show stat` and `show info`, in their three renderings: CSV
// (or "Key: value"), typed lines and JSON. Pure: records in, text out; the JSON is read back by
// a strict parser and the CSV header compared with a real HAProxy's.
#include "lb/admin/haproxy_fields.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/haproxy_reference.h"
#include "tests/support/json_reader.h"
#include "tests/support/text_lines.h"

namespace lb::admin::haproxy {
namespace {

using lb::test::lines_of;
using lb::test::split;

namespace json = lb::test::json;

json::Value parse_json(const std::string& text) {
    json::ParseResult parsed = json::parse(text);
    INFO(parsed.error << "\n" << text);
    REQUIRE(parsed.value.has_value());
    return std::move(*parsed.value);
}

StatRecord frontend() {
    StatRecord row(StatObject::Frontend, 2, 0);
    row.set("pxname", "web").set("svname", "FRONTEND").set("scur", 5).set("status", "OPEN");
    return row;
}

TEST_CASE("show stat's header is HAProxy 2.6's, \"-\" marker and module fields included",
          "[unit][admin]") {
    CHECK(stat_csv_header() == std::string(lb::test::kHaproxy26StatHeader) + "\n");
    const auto columns = stat_csv_columns();
    REQUIRE(columns.size() == 128);
    CHECK(columns[0] == "pxname");
    CHECK(columns[102] == "agg_check_status");
    CHECK(columns[103] == "-");
    CHECK(columns[104] == "ssl_sess");
    CHECK(columns[127] == "h1_spliced_bytes_out");
}

TEST_CASE("a stat row has 128 cells and a trailing comma, \"-\" at 103", "[unit][admin]") {
    const std::string csv = frontend().csv();
    REQUIRE(csv.ends_with(",\n"));
    const auto cells = split(csv.substr(0, csv.size() - 2), ',');
    REQUIRE(cells.size() == 128);
    CHECK(cells[0] == "web");
    CHECK(cells[1] == "FRONTEND");
    CHECK(cells[4] == "5");
    CHECK(cells[17] == "OPEN");
    CHECK(cells[103] == "-");
    CHECK(cells[2].empty());    // qcur: not printed by a frontend
    CHECK(cells[104].empty());  // ssl_sess: not set (zero_unset would make it 0)
}

TEST_CASE("zero_unset gives every numeric field the object prints a 0, text fields none",
          "[unit][admin]") {
    StatRecord row = frontend();
    row.zero_unset();
    CHECK(row.value("scur") == "5");  // set values stay
    CHECK(row.value("stot") == "0");  // a frontend's counter
    CHECK(row.value("ssl_sess") == "0");
    CHECK_FALSE(row.value("qcur"));  // servers' and backends' only
    CHECK_FALSE(row.value("mode"));  // a string: left unset
    const auto cells = split(row.csv(), ',');
    CHECK(cells[104] == "0");

    StatRecord server(StatObject::Server, 3, 1);
    server.zero_unset();
    CHECK(server.value("qcur") == "0");
    CHECK(server.value("weight") == "0");
    CHECK_FALSE(server.value("slim"));              // a server prints no slim in HAProxy 2.6
    CHECK(server.value("ssl_reused_sess") == "0");  // the ssl module: 103..105 only
    CHECK_FALSE(server.value("h2_headers_rcvd"));

    row.clear("scur");
    CHECK_FALSE(row.value("scur"));
}

TEST_CASE("CSV cells are quoted the way HAProxy quotes them, control bytes blanked",
          "[unit][admin]") {
    StatRecord row(StatObject::Server, 3, 1);
    row.set("pxname", "a,b").set("svname", "say \"hi\"").set("last_chk", "two\nlines");
    const std::string csv = row.csv();
    CHECK(csv.starts_with("\"a,b\",\"say \"\"hi\"\"\","));
    CHECK(csv.find(",two lines,") != std::string::npos);
    CHECK(csv.find('\n') == csv.size() - 1);
}

TEST_CASE("typed lines: one per field set, with the object's tags and type", "[unit][admin]") {
    StatRecord server(StatObject::Server, 3, 1);
    server.set("pxname", "web")
        .set("svname", "site-a")
        .set("status", "UP")
        .set("weight", 1)
        .set("iid", 3)
        .set_signed("lastsess", -1)
        .set("check_desc", "Layer4 check passed");
    // Expected lines copied from HAProxy 2.6.12's `show stat typed`.
    CHECK(server.typed() ==
          "S.3.1.0.pxname.1:KNS:str:web\n"
          "S.3.1.1.svname.1:KNS:str:site-a\n"
          "S.3.1.17.status.1:SGP:str:UP\n"
          "S.3.1.18.weight.1:MaP:u32:1\n"
          "S.3.1.27.iid.1:KGS:u32:3\n"
          "S.3.1.55.lastsess.1:MAP:s32:-1\n"
          "S.3.1.65.check_desc.1:MOP:str:Layer4 check passed\n");

    StatRecord backend(StatObject::Backend, 5, 0);
    backend.set("pxname", "ssh").set("algo", "roundrobin").set("uweight", 0).set("ssl_sess", 0);
    CHECK(backend.typed() ==
          "B.5.0.0.pxname.1:KNS:str:ssh\n"
          "B.5.0.76.algo.1:CGS:str:roundrobin\n"
          "B.5.0.99.uweight.1:MaP:u32:0\n"
          "B.5.0.103.ssl_sess.1:MCP:u64:0\n");

    CHECK(frontend().typed() ==
          "F.2.0.0.pxname.1:KNS:str:web\n"
          "F.2.0.1.svname.1:KNS:str:FRONTEND\n"
          "F.2.0.4.scur.1:MGP:u32:5\n"
          "F.2.0.17.status.1:SGP:str:OPEN\n");

    StatRecord multi(StatObject::Server, 3, 2);
    multi.set("last_chk", "a\r\nb");
    CHECK(multi.typed() == "S.3.2.56.last_chk.1:MOP:str:a  b\n");
    CHECK(StatRecord(StatObject::Server, 3, 2).typed().empty());
}

TEST_CASE("a stat row's JSON is HAProxy's array of typed fields", "[unit][admin]") {
    StatRecord server(StatObject::Server, 3, 2);
    server.set("pxname", "web").set("scur", 7).set_signed("lastsess", -1).set("svname", "a\"b");
    const json::Value fields = parse_json(server.json());
    REQUIRE(fields.is_array());
    REQUIRE(fields.size() == 4);  // in position order, set fields only

    const json::Value& name = fields[0];
    CHECK(name.keys() == std::vector<std::string>{"objType", "proxyId", "id", "field", "processNum",
                                                  "tags", "value"});
    CHECK(name["objType"].string() == "Server");
    CHECK(name["proxyId"].literal() == "3");
    CHECK(name["id"].literal() == "2");
    CHECK(name["field"]["pos"].literal() == "0");
    CHECK(name["field"]["name"].string() == "pxname");
    CHECK(name["processNum"].literal() == "1");
    CHECK(name["tags"]["origin"].string() == "Key");
    CHECK(name["tags"]["nature"].string() == "Name");
    CHECK(name["tags"]["scope"].string() == "Service");
    CHECK(name["value"]["type"].string() == "str");
    CHECK(name["value"]["value"].string() == "web");

    CHECK(fields[1]["field"]["name"].string() == "svname");
    CHECK(fields[1]["value"]["value"].string() == "a\"b");

    const json::Value& scur = fields[2];
    CHECK(scur["field"]["pos"].literal() == "4");
    CHECK(scur["tags"]["origin"].string() == "Metric");
    CHECK(scur["tags"]["nature"].string() == "Gauge");
    CHECK(scur["tags"]["scope"].string() == "Process");
    CHECK(scur["value"]["type"].string() == "u32");
    CHECK(scur["value"]["value"].is_number());
    CHECK(scur["value"]["value"].literal() == "7");

    const json::Value& lastsess = fields[3];
    CHECK(lastsess["tags"]["nature"].string() == "Age");
    CHECK(lastsess["value"]["type"].string() == "s32");
    CHECK(lastsess["value"]["value"].literal() == "-1");

    const json::Value front = parse_json(frontend().json());
    CHECK(front[0]["objType"].string() == "Frontend");
    CHECK(front[0]["proxyId"].literal() == "2");
    CHECK(front[0]["id"].literal() == "0");
    StatRecord backend(StatObject::Backend, 5, 0);
    backend.set("weight", 1);
    const json::Value back = parse_json(backend.json());
    CHECK(back[0]["objType"].string() == "Backend");
    CHECK(back[0]["tags"]["nature"].string() == "Avg");
    CHECK(parse_json(StatRecord(StatObject::Backend, 5, 0).json()).size() == 0);
}

TEST_CASE("show info: fields in HAProxy's order as text, typed and JSON", "[unit][admin]") {
    InfoRecord info;
    // Set out of order: every rendering follows HAProxy's order.
    info.set("Pid", 4242).set("Name", "sitelb").set("node", "lb\n1").set("TotalBytesOut", 12345);
    CHECK(info.text() ==
          "Name: sitelb\n"
          "Pid: 4242\n"
          "node: lb 1\n"
          "TotalBytesOut: 12345\n");
    CHECK(info.typed() ==
          "0.Name.1:POS:str:sitelb\n"
          "6.Pid.1:SGP:u32:4242\n"
          "50.node.1:COS:str:lb 1\n"
          "61.TotalBytesOut.1:MGP:u64:12345\n");

    const std::string text = info.json();
    CHECK(text.ends_with("]\n"));
    const json::Value fields = parse_json(text);
    REQUIRE(fields.size() == 4);
    const json::Value& name = fields[0];
    CHECK(name.keys() == std::vector<std::string>{"field", "processNum", "tags", "value"});
    CHECK(name["field"]["pos"].literal() == "0");
    CHECK(name["field"]["name"].string() == "Name");
    CHECK(name["processNum"].literal() == "1");
    CHECK(name["tags"]["origin"].string() == "Product");
    CHECK(name["tags"]["nature"].string() == "Output");
    CHECK(name["tags"]["scope"].string() == "Service");
    CHECK(name["value"]["type"].string() == "str");
    CHECK(name["value"]["value"].string() == "sitelb");
    const json::Value& pid = fields[1];
    CHECK(pid["tags"]["origin"].string() == "Status");
    CHECK(pid["value"]["type"].string() == "u32");
    CHECK(pid["value"]["value"].literal() == "4242");
    CHECK(fields[2]["tags"]["origin"].string() == "Config");
    CHECK(fields[3]["value"]["type"].string() == "u64");

    const InfoRecord empty;
    CHECK(empty.text().empty());
    CHECK(empty.typed().empty());
    CHECK(parse_json(empty.json()).size() == 0);
}

TEST_CASE("show info's typed positions skip the fields sitelb never prints", "[unit][admin]") {
    InfoRecord info;
    info.set("CompressBpsRateLim", 0).set("Tasks", 0).set("node", "x").set("Stopping", 0);
    // 45, 46 and 51 (zlib, description) are not printed: positions jump over them.
    const auto lines = lines_of(info.typed());
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].starts_with("44.CompressBpsRateLim.1:"));
    CHECK(lines[1].starts_with("47.Tasks.1:"));
    CHECK(lines[2].starts_with("50.node.1:"));
    CHECK(lines[3].starts_with("52.Stopping.1:"));
}

}  // namespace
}  // namespace lb::admin::haproxy
