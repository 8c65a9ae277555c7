// Clients of lb's operator surfaces for the ops_*_test.cpp end-to-end tests: the admin socket
// (raw bytes out, framed replies in), parsers for its replies (JSON, `show stat` CSV, aligned
// tables, "key: value" lines), and an HTTP GET plus Prometheus parsing for the metrics endpoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/exposition_reader.h"
#include "tests/support/json_reader.h"
#include "tests/support/test_sockets.h"
#include "tests/support/wait.h"

namespace lb::test::ops {

using namespace std::chrono_literals;

// --- the admin socket ------------------------------------------------------------------------

// A client of the admin socket: raw bytes out, framed replies in (a reply is its lines followed
// by an empty line; a reply never contains an empty line). As in HAProxy, lb answers what it
// received and then closes (non-interactive mode): one command per connection, or several sent
// at once. A client that asks again after a reply switches to interactive mode first
// (prompt()), after which read_reply() also consumes the "> " that follows each reply.
class AdminClient {
public:
    explicit AdminClient(const std::filesystem::path& socket);
    [[nodiscard]] bool connected() const { return fd_.valid(); }
    [[nodiscard]] int connect_error() const { return error_; }
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] IoStatus send(std::string_view bytes, Deadline deadline = deadline_in(5s));
    // The next reply's body, with its lines' "\n" but without the terminating empty line;
    // nullopt when the deadline passes or the connection ends first (`last_status` says which).
    [[nodiscard]] std::optional<std::string> read_reply(Deadline deadline = deadline_in(10s));
    [[nodiscard]] std::optional<std::string> command(std::string_view line,
                                                     Deadline deadline = deadline_in(10s));
    // Sends "prompt" and consumes its reply ("\n> "): the connection stays open until `quit`,
    // `prompt` again or its idle timeout. False if the reply did not come.
    [[nodiscard]] bool prompt(Deadline deadline = deadline_in(10s));
    [[nodiscard]] bool interactive() const { return interactive_; }
    [[nodiscard]] IoStatus last_status() const { return last_status_; }
    void close() { fd_.reset(); }

private:
    Fd fd_;
    int error_ = 0;
    std::string buffer_;
    IoStatus last_status_ = IoStatus::Ok;
    bool interactive_ = false;
};

// One command on a new connection; REQUIREs a reply.
[[nodiscard]] std::string admin(const std::filesystem::path& socket, std::string_view line);
// One command whose reply must be one JSON document; REQUIREs that it parses.
[[nodiscard]] json::Value admin_json(const std::filesystem::path& socket, std::string_view line);
[[nodiscard]] bool is_error(std::string_view reply);
// An exact unsigned integer from a JSON number (REQUIREs one).
[[nodiscard]] std::uint64_t u64(const json::Value& value);
// The element of a JSON array whose "name" is `name`, or null.
[[nodiscard]] const json::Value& by_name(const json::Value& array, std::string_view name);
// Waits until `show sites json` says both sites are up; REQUIREs it.
void require_sites_up(const std::filesystem::path& socket, Deadline deadline = deadline_in(10s));
// Waits until `show status json`'s active_site is `site`; REQUIREs it.
void require_active(const std::filesystem::path& socket, std::string_view site,
                    Deadline deadline = deadline_in(10s));
// Waits until `pred(show status json)` holds; the last document seen (REQUIREs the condition).
json::Value require_status(const std::filesystem::path& socket,
                           const std::function<bool(const json::Value&)>& pred,
                           std::string_view what, Deadline deadline = deadline_in(10s));

// "key:  value" lines (show status, show info) until the first line without ": ".
[[nodiscard]] std::map<std::string, std::string> key_values(std::string_view text);
// A whitespace-aligned table (show sites, show sessions): header words → cells, for the first
// `columns` columns (the last column may contain spaces and is not split).
[[nodiscard]] std::vector<std::map<std::string, std::string>> table_rows(std::string_view text,
                                                                         std::size_t columns);

// `show stat` as HAProxy 2.6 writes it: "# field,...,-,module field,...," then one CSV row per
// proxy/server. `header` keeps the "-" column (each row's cell there is "-").
struct StatCsv {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
    [[nodiscard]] const std::map<std::string, std::string>* row(std::string_view svname) const;
};
[[nodiscard]] std::optional<StatCsv> parse_show_stat(std::string_view text, std::string& error);
[[nodiscard]] std::uint64_t stat_number(const std::map<std::string, std::string>& row,
                                        const std::string& field);

// --- HTTP and metrics ---------------------------------------------------------------------------

struct HttpReply {
    int status = 0;
    std::string head;
    std::string body;
};
// GET `path` from 127.0.0.1:port with Connection: close; nullopt if no complete reply came.
[[nodiscard]] std::optional<HttpReply> fetch_http(std::uint16_t port, const std::string& path);
// GET /metrics and parse it; REQUIREs status 200 and a valid exposition.
[[nodiscard]] Exposition scrape(std::uint16_t port);
[[nodiscard]] double metric(const Exposition& exposition, std::string_view name,
                            const Labels& labels);
// The sum of every sample of `name` whose labels include `subset`.
[[nodiscard]] double metric_sum(const Exposition& exposition, std::string_view name,
                                const Labels& subset);

}  // namespace lb::test::ops
