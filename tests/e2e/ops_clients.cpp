// The admin-socket client, reply parsers and HTTP/metrics helpers; see ops_clients.h.
#include "tests/e2e/ops_clients.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace lb::test::ops {
namespace {

// RFC 4180-style fields: quoted fields may hold commas and doubled quotes.
std::vector<std::string> csv_fields(std::string_view line) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
        } else {
            field += c;
        }
    }
    fields.push_back(std::move(field));
    return fields;
}

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

}  // namespace

// --- AdminClient -----------------------------------------------------------------------------

AdminClient::AdminClient(const std::filesystem::path& socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof addr.sun_path) {
        error_ = ENAMETOOLONG;
        return;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        error_ = errno;
        return;
    }
    // A Unix socket connects at once or not at all (EAGAIN: the backlog is full).
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        error_ = errno;
        return;
    }
    fd_ = std::move(fd);
}

IoStatus AdminClient::send(std::string_view bytes, Deadline deadline) {
    if (!fd_) return IoStatus::Error;
    return send_all(fd_.get(), bytes, deadline);
}

std::optional<std::string> AdminClient::read_reply(Deadline deadline) {
    if (!fd_) {
        last_status_ = IoStatus::Error;
        return std::nullopt;
    }
    std::vector<char> chunk(64 << 10);
    // Bounded by the deadline: every wait inside recv_some ends there.
    for (bool eof = false;;) {
        std::optional<std::size_t> body_size;  // the body with its lines' "\n"
        std::size_t used = 0;                  // the body, the empty line and the prompt
        if (buffer_.starts_with("\n")) {
            body_size = 0;
            used = 1;
        } else if (const auto end = buffer_.find("\n\n"); end != std::string::npos) {
            body_size = end + 1;
            used = end + 2;
        }
        // Interactive: the prompt comes with the reply; wait for it unless the server is gone.
        const bool prompt_due = interactive_ && buffer_.size() < used + 2 && !eof;
        if (body_size && !prompt_due) {
            if (interactive_ && buffer_.compare(used, 2, "> ") == 0) used += 2;
            std::string body = buffer_.substr(0, *body_size);
            buffer_.erase(0, used);
            last_status_ = IoStatus::Ok;
            return body;
        }
        const ReadResult r = recv_some(fd_.get(), chunk, deadline);
        if (r.status == IoStatus::Eof && body_size) {
            eof = true;  // a complete reply without its prompt: the last one
            continue;
        }
        if (r.status != IoStatus::Ok) {
            last_status_ = r.status;
            return std::nullopt;
        }
        buffer_.append(chunk.data(), r.bytes);
    }
}

bool AdminClient::prompt(Deadline deadline) {
    if (interactive_) return true;
    if (send("prompt\n", deadline) != IoStatus::Ok) return false;
    std::vector<char> chunk(64);
    while (buffer_.size() < 3) {
        const ReadResult r = recv_some(fd_.get(), chunk, deadline);
        if (r.status != IoStatus::Ok) {
            last_status_ = r.status;
            return false;
        }
        buffer_.append(chunk.data(), r.bytes);
    }
    if (!buffer_.starts_with("\n> ")) return false;
    buffer_.erase(0, 3);
    interactive_ = true;
    return true;
}

std::optional<std::string> AdminClient::command(std::string_view line, Deadline deadline) {
    if (const IoStatus sent = send(std::string(line) + "\n", deadline); sent != IoStatus::Ok) {
        last_status_ = sent;
        return std::nullopt;
    }
    return read_reply(deadline);
}

std::string admin(const std::filesystem::path& socket, std::string_view line) {
    AdminClient client(socket);
    INFO("admin socket " << socket.string() << ": " << std::strerror(client.connect_error()));
    REQUIRE(client.connected());
    auto reply = client.command(line);
    INFO("command '" << line << "': " << to_string(client.last_status()));
    REQUIRE(reply.has_value());
    return *reply;
}

json::Value admin_json(const std::filesystem::path& socket, std::string_view line) {
    const std::string reply = admin(socket, line);
    json::ParseResult parsed = json::parse(reply);
    INFO("'" << line << "' replied:\n" << reply << "parse error: " << parsed.error);
    REQUIRE(parsed.value.has_value());
    return std::move(*parsed.value);
}

bool is_error(std::string_view reply) {
    return reply.starts_with("error:") || reply.starts_with("No such backend.") ||
           reply.starts_with("No such server.");
}

std::uint64_t u64(const json::Value& value) {
    INFO("JSON value kind " << static_cast<int>(value.kind()) << " '" << value.literal() << "'");
    REQUIRE(value.is_number());
    REQUIRE(value.literal().find_first_not_of("0123456789") == std::string::npos);
    return std::stoull(value.literal());
}

const json::Value& by_name(const json::Value& array, std::string_view name) {
    for (const json::Value& item : array.items())
        if (item["name"].string() == name) return item;
    static const json::Value null;
    return null;
}

json::Value require_status(const std::filesystem::path& socket,
                           const std::function<bool(const json::Value&)>& pred,
                           std::string_view what, Deadline deadline) {
    json::Value last;
    const bool held = wait_until(
        [&] {
            last = admin_json(socket, "show status json");
            return pred(last);
        },
        deadline, 20ms);
    INFO("waiting for: " << what);
    INFO("last show status json:\n" << admin(socket, "show status json"));
    REQUIRE(held);
    return last;
}

void require_sites_up(const std::filesystem::path& socket, Deadline deadline) {
    (void)require_status(
        socket,
        [](const json::Value& status) {
            return by_name(status["sites"], "site-a")["health"].string() == "up" &&
                   by_name(status["sites"], "site-b")["health"].string() == "up";
        },
        "both sites up", deadline);
}

void require_active(const std::filesystem::path& socket, std::string_view site, Deadline deadline) {
    (void)require_status(
        socket,
        [site](const json::Value& status) { return status["active_site"].string() == site; },
        "active site " + std::string(site), deadline);
}

std::map<std::string, std::string> key_values(std::string_view text) {
    std::map<std::string, std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(": ");
        if (colon == std::string::npos) break;
        const auto value = line.find_first_not_of(' ', colon + 1);
        out[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
    }
    return out;
}

std::vector<std::map<std::string, std::string>> table_rows(std::string_view text,
                                                           std::size_t columns) {
    std::vector<std::map<std::string, std::string>> rows;
    std::istringstream in{std::string(text)};
    std::vector<std::string> header;
    for (std::string line; std::getline(in, line);) {
        const std::vector<std::string> cells = words(line);
        if (header.empty()) {
            header = cells;
            header.resize(std::min(header.size(), columns));
            continue;
        }
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i)
            row[header[i]] = cells[i];
        rows.push_back(std::move(row));
    }
    return rows;
}

const std::map<std::string, std::string>* StatCsv::row(std::string_view svname) const {
    for (const auto& r : rows)
        if (const auto it = r.find("svname"); it != r.end() && it->second == svname) return &r;
    return nullptr;
}

std::optional<StatCsv> parse_show_stat(std::string_view text, std::string& error) {
    StatCsv out;
    std::istringstream in{std::string(text)};
    std::string line;
    if (!std::getline(in, line) || !line.starts_with("# ")) {
        error = "the first line is not a '# ' header: " + line;
        return std::nullopt;
    }
    out.header = csv_fields(std::string_view(line).substr(2));
    // HAProxy 2.6 ends the header and every row with a comma (an empty last cell), and puts a
    // "-" column between the static fields and the modules' (whose rows hold "-" there).
    const auto dash = std::find(out.header.begin(), out.header.end(), "-");
    if (out.header.size() < 3 || out.header.back() != "" || dash == out.header.end()) {
        error = "the header has no '-' column or does not end with ',': " + line;
        return std::nullopt;
    }
    const std::size_t dash_column = static_cast<std::size_t>(dash - out.header.begin());
    out.header.pop_back();
    for (int number = 2; std::getline(in, line); ++number) {
        std::vector<std::string> cells = csv_fields(line);
        if (cells.size() != out.header.size() + 1 || cells.back() != "" ||
            cells[dash_column] != "-") {
            error = "row " + std::to_string(number) + " has " + std::to_string(cells.size()) +
                    " cells, the header " + std::to_string(out.header.size() + 1) +
                    ", or no '-' under '-': " + line;
            return std::nullopt;
        }
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < out.header.size(); ++i) row[out.header[i]] = cells[i];
        out.rows.push_back(std::move(row));
    }
    return out;
}

std::uint64_t stat_number(const std::map<std::string, std::string>& row, const std::string& field) {
    const auto it = row.find(field);
    INFO("show stat field " << field);
    REQUIRE(it != row.end());
    INFO("value '" << it->second << "'");
    REQUIRE(!it->second.empty());
    REQUIRE(it->second.find_first_not_of("0123456789") == std::string::npos);
    return std::stoull(it->second);
}

// --- HTTP and metrics ---------------------------------------------------------------------------

std::optional<HttpReply> fetch_http(std::uint16_t port, const std::string& path) {
    const Deadline deadline = deadline_in(5s);
    Fd fd = connect_tcp("127.0.0.1", port, deadline);
    if (!fd) return std::nullopt;
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send_all(fd.get(), request, deadline) != IoStatus::Ok) return std::nullopt;
    const Received got = recv_until_eof(fd.get(), deadline, std::size_t{16} << 20);
    if (got.status != IoStatus::Eof) return std::nullopt;
    const auto head_end = got.data.find("\r\n\r\n");
    if (head_end == std::string::npos || !got.data.starts_with("HTTP/1.1 ")) return std::nullopt;
    HttpReply reply;
    reply.head = got.data.substr(0, head_end);
    reply.body = got.data.substr(head_end + 4);
    reply.status = std::atoi(got.data.substr(9, 3).c_str());
    return reply;
}

Exposition scrape(std::uint16_t port) {
    const auto reply = fetch_http(port, "/metrics");
    REQUIRE(reply.has_value());
    INFO("GET /metrics:\n" << reply->head);
    REQUIRE(reply->status == 200);
    ExpositionParse parsed = parse_exposition(reply->body);
    INFO("exposition error: " << parsed.error << "\n" << reply->body);
    REQUIRE(parsed.exposition.has_value());
    return std::move(*parsed.exposition);
}

double metric(const Exposition& exposition, std::string_view name, const Labels& labels) {
    const auto value = exposition.value(name, labels);
    std::string described;
    for (const auto& [key, val] : labels) described += key + "=\"" + val + "\" ";
    INFO("metric " << name << "{" << described << "}");
    REQUIRE(value.has_value());
    return *value;
}

double metric_sum(const Exposition& exposition, std::string_view name, const Labels& subset) {
    double sum = 0;
    for (const Sample& sample : exposition.all(name)) {
        bool match = true;
        for (const auto& [key, value] : subset) {
            const auto it = sample.labels.find(key);
            match = match && it != sample.labels.end() && it->second == value;
        }
        if (match) sum += sample.value;
    }
    return sum;
}

}  // namespace lb::test::ops
