// HAProxy 2.6's typed fields: the one model behind `show stat` and `show info` in all three
// renderings (CSV or "Key: value", `typed`, `json`). A record holds a value per field position;
// which fields an object prints, and each field's tags (origin, nature, scope) and type, come
// from tables taken from HAProxy 2.6.12's own `show stat typed` and `show info typed`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lb::admin::haproxy {

enum class StatObject { Frontend, Backend, Server };

// One `show stat` row: frontend, backend or server of proxy `iid`.
class StatRecord {
public:
    StatRecord(StatObject object, std::uint64_t iid, std::uint64_t sid);

    // Sets field `name` (a `show stat` column). A field this object does not print in HAProxy
    // 2.6 is a programming error (LB_CHECK).
    StatRecord& set(std::string_view name, std::string value);
    StatRecord& set(std::string_view name, std::uint64_t value);
    StatRecord& set_signed(std::string_view name, std::int64_t value);
    // Every field this object always prints, set to HAProxy's neutral value (0) unless set.
    StatRecord& zero_unset();
    StatRecord& clear(std::string_view name);

    [[nodiscard]] StatObject object() const { return object_; }
    [[nodiscard]] const std::optional<std::string>& value(std::string_view name) const;

    // "web,FRONTEND,,,0,...,-,0,...,\n": 103 static cells, "-", 24 module cells.
    [[nodiscard]] std::string csv() const;
    // "F.2.0.0.pxname.1:KNS:str:web\n" per field set.
    [[nodiscard]] std::string typed() const;
    // `[{"objType":"Frontend",...}, ...]`: the row's fields as one JSON array.
    [[nodiscard]] std::string json() const;

private:
    StatObject object_;
    std::uint64_t iid_;
    std::uint64_t sid_;
    std::vector<std::optional<std::string>> values_;  // by typed position
};

// The `show stat` CSV header line, "# pxname,...,-,ssl_sess,...,h1_spliced_bytes_out,\n".
[[nodiscard]] std::string stat_csv_header();
// Names of the CSV columns in order, "-" included.
[[nodiscard]] std::vector<std::string_view> stat_csv_columns();

// `show info`: one value per field of HAProxy 2.6, in HAProxy's order.
class InfoRecord {
public:
    InfoRecord();
    InfoRecord& set(std::string_view name, std::string value);
    InfoRecord& set(std::string_view name, std::uint64_t value);

    [[nodiscard]] std::string text() const;   // "Name: sitelb\n..." (unset fields left out)
    [[nodiscard]] std::string typed() const;  // "0.Name.1:POS:str:sitelb\n..."
    [[nodiscard]] std::string json() const;   // "[{...},...]\n"

private:
    std::vector<std::optional<std::string>> values_;  // by table row
};

}  // namespace lb::admin::haproxy
