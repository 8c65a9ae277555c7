// The exchanges of tests/data/haproxy_runtime_api.txt, read into entries: what to send to a
// runtime API socket, how (one write, a pause between writes, an interactive session), and how
// to compare a reply with HAProxy's. The file's own header documents its format.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lb::test::compat {

// How one reply is compared with the reference's (tests/data/haproxy_runtime_api.txt lists the
// modes: exact, first-line, csv-stat, key-value, typed, json, table, shape, help-lines, present,
// absent).
struct Comparison {
    std::string mode;
    bool per_reply = false;           // split at the empty lines: one comparison per reply
    std::vector<std::string> shapes;  // shape set names and FIELD=KIND rules, in order
    std::string lines;  // shape: what every line must match; present, absent: the reply
    std::vector<std::string> commands;  // help-lines: commands both must list, line for line
    std::vector<std::string> key;       // table: the columns naming a row
    int header_lines = 0;               // table: leading lines compared exactly (the header last)
};

struct Step {
    std::string bytes;  // sent in one write
    Comparison comparison;
    bool compared = false;  // a `compare:` was given for this step
};

enum class Mode {
    OneShot,  // one write, one reply (several lines or `;`-chained commands included)
    Pause,    // several writes, each after the previous reply (or close) and a pause
    Session,  // several writes, each reply compared on its own (interactive mode)
    Poll,     // one write on a new connection, again and again until the reply is `present`
              // or `absent`, or the time is up: a wait for a state both programs must reach
};

struct Entry {
    std::string name;
    int line = 0;  // where it starts in the file
    Mode mode = Mode::OneShot;
    std::chrono::milliseconds pause{0};  // Pause: between writes; Poll: how long at most
    std::vector<Step> steps;
};

struct Script {
    // Shape set name → its FIELD=KIND rules, in the order given.
    std::map<std::string, std::vector<std::string>> shape_sets;
    std::vector<Entry> entries;
    std::vector<std::string> errors;  // "LINE: message"; a script with errors is not run
};

[[nodiscard]] Script load_script(const std::filesystem::path& path);

// `text` with C escapes decoded: \n \r \t \\ \xHH (a trailing space is written \x20).
[[nodiscard]] std::string unescape(std::string_view text, std::string& error);
// `bytes` made printable for messages: \n, \r, \t and other control bytes escaped.
[[nodiscard]] std::string escape(std::string_view bytes);

}  // namespace lb::test::compat
