// Compares a reply from the runtime API under test with the reference's (a real HAProxy) by the
// rules an entry of tests/data/haproxy_runtime_api.txt names: byte for byte, or structure first
// (columns, keys, fields, JSON members, in order) and then each value exactly, unless a shape
// rule says the value may differ and only its form must agree (a number, a duration, ...).
// Pure: text in, mismatches out.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/runtime_api_script.h"

namespace lb::test::compat {

struct Mismatch {
    std::string field;      // "web/site-b status", "key order", "bytes from line 3", ...
    std::string reference;  // printable (escaped) excerpts
    std::string candidate;
};

// The FIELD=KIND rules of one comparison, set names expanded, a later rule overriding an earlier
// one. A rule may name a row first ("site-b.lastchg=upto:2": that server's row only).
class ShapeRules {
public:
    ShapeRules(const Script& script, const Comparison& comparison);
    // The kind of `field` in `row` ("" for exact), the row's own rule first.
    [[nodiscard]] std::string kind(std::string_view row, std::string_view field) const;

private:
    std::map<std::string, std::string, std::less<>> kinds_;  // "field" or "row.field" → kind
};

// Kinds: any, text (not empty), number, int, upto:N (a number at most N), pid (a number > 0),
// bytes (a number), duration (`0d 0h00m05s`), date (`YYYY/MM/DD`), addr (`IP:PORT`, the same IP);
// and for a health check that may be running as the reply is made: check-status (equal once
// HAProxy's "* " in-progress mark is dropped), check-state (equal but for the in-progress bit
// 0x01), check-result (equal, or 0: unknown while a check runs), server-status (equal once
// HAProxy's " 1/2" count of checks towards the next state is dropped: "DOWN 1/2" and "DOWN").
// True when the values are equal, or both have the form (and, for addr, the same IP); ""
// compares exactly.
[[nodiscard]] bool values_agree(std::string_view kind, std::string_view reference,
                                std::string_view candidate);
[[nodiscard]] bool is_known_kind(std::string_view kind);

// Every difference between the two replies under `comparison`.
[[nodiscard]] std::vector<Mismatch> compare_replies(const Comparison& comparison,
                                                    const ShapeRules& rules,
                                                    std::string_view reference,
                                                    std::string_view candidate);

// present: `comparison.lines` is found in `reply` (^ and $ match at every line); absent: not.
[[nodiscard]] bool satisfies(const Comparison& comparison, std::string_view reply);

// `reply` cut after each empty line: the replies of several commands sent together.
[[nodiscard]] std::vector<std::string> split_replies(std::string_view reply);

}  // namespace lb::test::compat
