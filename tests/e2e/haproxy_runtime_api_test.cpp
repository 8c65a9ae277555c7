// lb's admin socket against HAProxy 2.6's runtime API, side by side: every exchange listed in
// tests/data/haproxy_runtime_api.txt goes to a real HAProxy and to lb set up alike, and the
// replies (and whether the connection was closed) are compared by that file's rules. Then two
// real clients of the API, prometheus-haproxy-exporter and hatop, are pointed at both.
// LB_COMPAT_AGAINST=haproxy puts a second HAProxy in lb's place: the rules must let it pass.
// LB_COMPAT_DUMP=DIR keeps every reply of both. Run: build/tests/e2e_tests "[haproxy-compat]".
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/runtime_api_compare.h"
#include "tests/e2e/runtime_api_rig.h"
#include "tests/e2e/runtime_api_script.h"
#include "tests/support/exposition_reader.h"
#include "tests/support/program.h"
#include "tests/support/runtime_api_client.h"

namespace lb::test::compat {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kScript =
    std::filesystem::path(LB_TEST_DATA_DIR) / "haproxy_runtime_api.txt";

// What one write brought back.
struct StepOutcome {
    std::string bytes;
    bool closed = false;
    bool timed_out = false;
};

std::vector<StepOutcome> run_entry(const Entry& entry, const std::filesystem::path& socket);

// Poll: the one-shot again and again (every 50 ms, each on a new connection) until its reply
// satisfies the entry's comparison, or the time is up; the last outcome.
std::vector<StepOutcome> poll_entry(const Entry& entry, const std::filesystem::path& socket) {
    Entry once = entry;
    once.mode = Mode::OneShot;
    const Deadline deadline = deadline_in(entry.pause);
    std::vector<StepOutcome> last;
    (void)wait_until(
        [&] {
            last = run_entry(once, socket);
            return satisfies(entry.steps[0].comparison, last[0].bytes);
        },
        deadline, 50ms);
    return last;
}

std::vector<StepOutcome> run_entry(const Entry& entry, const std::filesystem::path& socket) {
    if (entry.mode == Mode::Poll) return poll_entry(entry, socket);
    std::vector<StepOutcome> out;
    RuntimeApiConnection connection(socket, deadline_in(3s));
    if (!connection.connected()) {
        out.push_back(
            {"<cannot connect: " + std::string(std::strerror(connection.connect_error())) + ">",
             true, false});
        return out;
    }
    for (std::size_t i = 0; i < entry.steps.size(); ++i) {
        // The pause is the stimulus under test (a line that comes after the reply), not a wait.
        if (i > 0 && entry.mode == Mode::Pause) std::this_thread::sleep_for(entry.pause);
        (void)connection.send(entry.steps[i].bytes, deadline_in(3s));  // a close shows below
        const ApiReply reply = connection.read(deadline_in(3s));
        out.push_back({reply.bytes, reply.closed, reply.timed_out});
    }
    return out;
}

std::string connection_state(const StepOutcome& step) {
    if (step.closed) return "closed";
    return step.timed_out ? "open, no complete reply within 3 s" : "left open";
}

std::vector<Mismatch> compare_entry(const Script& script, const Entry& entry,
                                    const std::vector<StepOutcome>& reference,
                                    const std::vector<StepOutcome>& candidate) {
    std::vector<Mismatch> out;
    const auto compare_closure = [&](std::size_t i, const std::string& what) {
        const std::string want = connection_state(reference[i]);
        const std::string got = connection_state(candidate[i]);
        if (want != got) out.push_back({"connection " + what, want, got});
    };
    if (reference.size() != candidate.size()) {  // a connect failed on one side
        out.push_back({"connection",
                       connection_state(reference.front()) + ": " + escape(reference.front().bytes),
                       escape(candidate.front().bytes)});
        return out;
    }
    if (entry.mode == Mode::Session) {
        for (std::size_t i = 0; i < entry.steps.size(); ++i) {
            const Step& step = entry.steps[i];
            const std::string label =
                "step " + std::to_string(i + 1) + " '" + escape(step.bytes) + "': ";
            for (Mismatch m : compare_replies(step.comparison, ShapeRules(script, step.comparison),
                                              reference[i].bytes, candidate[i].bytes)) {
                m.field = label + m.field;
                out.push_back(std::move(m));
            }
            compare_closure(i, "after " + label.substr(0, label.size() - 2));
        }
        return out;
    }
    std::string ref_bytes;
    std::string cand_bytes;
    const Step* compared = nullptr;
    for (std::size_t i = 0; i < entry.steps.size(); ++i) {
        ref_bytes += reference[i].bytes;
        cand_bytes += candidate[i].bytes;
        if (entry.steps[i].compared) compared = &entry.steps[i];
    }
    out = compare_replies(compared->comparison, ShapeRules(script, compared->comparison), ref_bytes,
                          cand_bytes);
    for (std::size_t i = 0; i < entry.steps.size(); ++i)
        compare_closure(i, entry.steps.size() == 1 ? std::string("after the reply")
                                                   : "after write " + std::to_string(i + 1));
    return out;
}

TEST_CASE("runtime API: every exchange of haproxy_runtime_api.txt is answered as HAProxy does",
          "[e2e][one-path][haproxy-compat]") {
    const Script script = load_script(kScript);
    {
        std::string errors;
        for (const std::string& error : script.errors)
            errors += kScript.string() + ":" + error + "\n";
        INFO(errors);
        REQUIRE(script.errors.empty());
    }
    CompatRig rig;
    const Target reference = rig.reference();
    const Target candidate = rig.candidate();
    std::vector<std::string> failed;  // "entry: first mismatch"
    // LB_COMPAT_DUMP=DIR: every reply also goes to DIR/NN.LABEL (steps one after the other).
    const char* dump = std::getenv("LB_COMPAT_DUMP");
    int number = 0;
    for (const Entry& entry : script.entries) {
        ++number;
        // The same order on both, so commands that change state leave both in the same state.
        const auto ref = run_entry(entry, reference.socket);
        const auto cand = run_entry(entry, candidate.socket);
        const auto mismatches = compare_entry(script, entry, ref, cand);
        if (dump != nullptr && *dump != '\0') {
            std::filesystem::create_directories(dump);
            for (const auto& [label, steps] :
                 {std::pair{reference.label, &ref}, std::pair{candidate.label, &cand}}) {
                std::string text = "# " + entry.name + "\n";
                for (const StepOutcome& step : *steps)
                    text += step.bytes + (step.closed ? "<closed>\n" : "<open>\n");
                char name[16];
                std::snprintf(name, sizeof name, "%02d.", number);
                write_file(std::filesystem::path(dump) / (name + label), text);
            }
        }
        constexpr std::size_t kShown = 10;
        for (std::size_t i = 0; i < mismatches.size() && i < kShown; ++i) {
            const Mismatch& m = mismatches[i];
            FAIL_CHECK(entry.name << " (line " << entry.line << "): " << m.field << ": "
                                  << reference.label << " «" << m.reference << "», "
                                  << candidate.label << " «" << m.candidate << "»");
        }
        if (mismatches.size() > kShown)
            FAIL_CHECK(entry.name << ": " << mismatches.size() - kShown << " more differences");
        if (!mismatches.empty())
            failed.push_back(entry.name + ": " + mismatches.front().field + ": " + reference.label +
                             " «" + mismatches.front().reference + "», " + candidate.label + " «" +
                             mismatches.front().candidate + "»");
    }
    std::ostringstream summary;
    summary << failed.size() << " of " << script.entries.size() << " exchanges differ between "
            << reference.label << " and " << candidate.label << "\n";
    for (const std::string& line : failed) summary << "  " << line << "\n";
    if (!failed.empty()) summary << rig.diagnostics();
    WARN(summary.str());
}

// The rules catch what they must (the HAProxy-against-HAProxy run shows they are not too strict).
TEST_CASE("runtime API: the comparison rules see a difference where there is one",
          "[e2e][one-path][haproxy-compat]") {
    Script script;
    script.shape_sets["stat"] = {"lastchg=number", "check_status=check-status"};
    const std::string header = "# pxname,svname,status,lastchg,check_status,-,\n";
    struct Row {
        const char* what;
        const char* mode;
        std::vector<std::string> shapes;
        std::string reference;
        std::string candidate;
        bool differ;
    };
    const std::vector<Row> rows = {
        {"exact, equal", "exact", {}, "# name\nweb\n\n", "# name\nweb\n\n", false},
        {"exact, no empty line", "exact", {}, "# name\nweb\n\n", "# name\nweb\n", true},
        {"csv, a shaped cell",
         "csv-stat",
         {"stat"},
         header + "web,a,UP,5,L4OK,-,\n\n",
         header + "web,a,UP,17,* L4OK,-,\n\n",
         false},
        {"csv, a shaped cell of the wrong form",
         "csv-stat",
         {"stat"},
         header + "web,a,UP,5,L4OK,-,\n\n",
         header + "web,a,UP,5s,L4OK,-,\n\n",
         true},
        {"csv, an exact cell",
         "csv-stat",
         {"stat"},
         header + "web,a,UP,5,L4OK,-,\n\n",
         header + "web,a,DOWN,5,L4OK,-,\n\n",
         true},
        {"csv, a row's own rule",
         "csv-stat",
         {"stat", "a.status=any"},
         header + "web,a,UP,5,L4OK,-,\n\n",
         header + "web,a,DOWN,5,L4OK,-,\n\n",
         false},
        {"csv, rows in another order",
         "csv-stat",
         {},
         header + "web,a,UP,5,,-,\nweb,b,UP,5,,-,\n\n",
         header + "web,b,UP,5,,-,\nweb,a,UP,5,,-,\n\n",
         true},
        {"csv, an error text instead",
         "csv-stat",
         {},
         header + "web,a,UP,5,,-,\n\n",
         "No such proxy.\n\n",
         true},
        {"key-value, keys in another order",
         "key-value",
         {},
         "A: 1\nB: 2\n\n",
         "B: 2\nA: 1\n\n",
         true},
        {"typed, another type",
         "typed",
         {},
         "0.Name.1:POS:str:HAProxy\n\n",
         "0.Name.1:POS:u32:HAProxy\n\n",
         true},
        {"json, a member more", "json", {}, "[{\"a\":1}]\n\n", "[{\"a\":1,\"b\":2}]\n\n", true},
        {"json, a number for a string", "json", {}, "[{\"a\":\"1\"}]\n\n", "[{\"a\":1}]\n\n", true},
        {"table, a cell",
         "table",
         {},
         "1\n# be_name srv_name w\nweb a 1\n\n",
         "1\n# be_name srv_name w\nweb a 0\n\n",
         true},
    };
    for (const Row& row : rows) {
        Comparison comparison;
        comparison.mode = row.mode;
        comparison.shapes = row.shapes;
        comparison.header_lines = 2;
        comparison.key = {"be_name", "srv_name"};
        const auto found = compare_replies(comparison, ShapeRules(script, comparison),
                                           row.reference, row.candidate);
        INFO(row.what << ": " << (found.empty() ? "no difference" : found.front().field));
        CHECK(found.empty() != row.differ);
    }
    CHECK(split_replies("# name\nweb\n\n\nx\n\n").size() == 3);
    std::string error;
    CHECK(unescape("show backend;\\x20\\n", error) == "show backend; \n");
    CHECK(error.empty());
}

// --- prometheus-haproxy-exporter -------------------------------------------------------------

struct Scrape {
    std::optional<Exposition> metrics;
    std::string log;
};

// GET /metrics from 127.0.0.1:`port` as HTTP/1.0 (so the body comes whole, not chunked, and
// the connection closes); the body of a 200 reply, else nullopt.
std::optional<std::string> get_metrics(std::uint16_t port) {
    const Deadline deadline = deadline_in(5s);
    Fd fd = connect_tcp(kClientIp, port, deadline);
    if (!fd || send_all(fd.get(), "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", deadline) !=
                   IoStatus::Ok)
        return std::nullopt;
    const Received got = recv_until_eof(fd.get(), deadline);
    const auto head_end = got.data.find("\r\n\r\n");
    if (got.status != IoStatus::Eof || head_end == std::string::npos ||
        got.data.find(" 200 ") > got.data.find("\r\n"))
        return std::nullopt;
    return got.data.substr(head_end + 4);
}

// Runs the exporter on `target`'s socket and scrapes it once it answers (bounded retries).
Scrape scrape_through_exporter(const std::string& exporter, const Target& target) {
    const TempDir dir("lb-exporter");
    const std::uint16_t port = free_port(kClientIp);
    ChildProcess process(
        {exporter, "--haproxy.scrape-uri=unix:" + target.socket.string(),
         "--web.listen-address=" + endpoint(kClientIp, port), "--haproxy.timeout=2s"},
        dir.path() / "log", dir.path() / "log");
    Scrape out;
    const Deadline deadline = deadline_in(10s);
    (void)wait_until(
        [&] {
            const auto body = get_metrics(port);
            if (!body) return false;
            auto parsed = parse_exposition(*body);
            if (!parsed.exposition) return false;
            out.metrics = std::move(parsed.exposition);
            return true;
        },
        deadline, 100ms);
    (void)process.stop(SIGTERM, deadline_in(5s));
    out.log = read_file(dir.path() / "log");
    return out;
}

std::set<std::string> metric_names(const Exposition& exposition) {
    std::set<std::string> names;
    for (const Sample& sample : exposition.samples) names.insert(sample.name);
    return names;
}

TEST_CASE("runtime API: prometheus-haproxy-exporter reads lb as it reads HAProxy",
          "[e2e][one-path][haproxy-compat]") {
    const std::string exporter = find_program("prometheus-haproxy-exporter");
    if (exporter.empty())
        skip_test(
            "prometheus-haproxy-exporter not found (apt-get install "
            "prometheus-haproxy-exporter): its compatibility test did not run");
    CompatRig rig;
    const Scrape reference = scrape_through_exporter(exporter, rig.reference());
    const Scrape candidate = scrape_through_exporter(exporter, rig.candidate());
    INFO("exporter log against " << rig.reference().label << ":\n" << reference.log);
    INFO("exporter log against " << rig.candidate().label << ":\n" << candidate.log);
    REQUIRE(reference.metrics.has_value());
    REQUIRE(candidate.metrics.has_value());
    const Labels site_a{{"backend", "web"}, {"server", "site-a"}};
    for (const auto* scraped : {&reference, &candidate}) {
        const std::string label =
            scraped == &reference ? rig.reference().label : rig.candidate().label;
        INFO("scraped through " << label);
        CHECK(scraped->metrics->value("haproxy_up", {}).value_or(-1) == 1.0);
        CHECK(scraped->metrics->value("haproxy_server_up", site_a).value_or(-1) == 1.0);
    }
    const auto want = metric_names(*reference.metrics);
    const auto got = metric_names(*candidate.metrics);
    std::string missing;
    std::string extra;
    for (const auto& name : want)
        if (!got.contains(name)) missing += name + " ";
    for (const auto& name : got)
        if (!want.contains(name)) extra += name + " ";
    INFO("metrics only through " << rig.reference().label << ": " << missing);
    INFO("metrics only through " << rig.candidate().label << ": " << extra);
    CHECK((missing.empty() && extra.empty()));
}

// --- hatop -----------------------------------------------------------------------------------

// A detached tmux session on a server of this test's own (-L), killed by name on destruction.
class TmuxSession {
public:
    TmuxSession(std::string tmux, std::string name, const std::string& command)
        : tmux_(std::move(tmux)),
          server_("lb-compat-" + std::to_string(::getpid())),
          name_(std::move(name)) {
        started_ = run_program({tmux_, "-L", server_, "new-session", "-d", "-s", name_, "-x", "120",
                                "-y", "40", command},
                               deadline_in(5s))
                       .exit_code == 0;
    }
    ~TmuxSession() {
        (void)run_program({tmux_, "-L", server_, "kill-session", "-t", name_}, deadline_in(5s));
    }
    TmuxSession(const TmuxSession&) = delete;
    TmuxSession& operator=(const TmuxSession&) = delete;

    [[nodiscard]] bool started() const { return started_; }
    [[nodiscard]] std::string screen() const {
        return run_program({tmux_, "-L", server_, "capture-pane", "-p", "-t", name_},
                           deadline_in(5s))
            .out;
    }
    void keys(const std::string& keys) const {
        (void)run_program({tmux_, "-L", server_, "send-keys", "-t", name_, keys}, deadline_in(5s));
    }

private:
    std::string tmux_;
    std::string server_;
    std::string name_;
    bool started_ = false;
};

TEST_CASE("runtime API: hatop shows lb's proxy and servers as it shows HAProxy's",
          "[e2e][one-path][haproxy-compat]") {
    const std::string hatop = find_program("hatop");
    const std::string tmux = find_program("tmux");
    if (hatop.empty() || tmux.empty())
        skip_test(
            "hatop or tmux not found (apt-get install hatop tmux): the hatop "
            "compatibility test did not run");
    CompatRig rig;
    for (const Target& target : {rig.reference(), rig.candidate()}) {
        // Debian's python3 (hatop's dependency), whatever else is first on PATH. The shell
        // stays after hatop ends, so its last words remain on the screen.
        const std::string command = "env PATH=/usr/bin:/bin " + hatop + " -s " +
                                    target.socket.string() +
                                    "; echo \"hatop exited with status $?\"; sleep 60";
        TmuxSession session(tmux, "hatop-" + target.label, command);
        REQUIRE(session.started());
        std::string screen;
        (void)wait_until(
            [&] {
                screen = session.screen();
                return screen.find("BACKEND") != std::string::npos ||
                       screen.find("hatop exited") != std::string::npos;
            },
            deadline_in(10s), 100ms);
        // The screen without its trailing blank lines.
        screen.erase(screen.find_last_not_of(" \n") + 1);
        std::vector<std::string> problems;
        for (const char* shown : {">>> web", "FRONTEND", "site-a", "site-b", "BACKEND", " UP "})
            if (screen.find(shown) == std::string::npos)
                problems.push_back(std::string("does not show '") + shown + "'");
        // Error texts (hatop's footer has an "ERRORS" tab, which matches neither spelling).
        for (const char* error : {"error", "Error", "Traceback", "hatop exited"})
            if (screen.find(error) != std::string::npos)
                problems.push_back(std::string("shows '") + error + "'");
        std::string described;
        for (const std::string& problem : problems) described += problem + "; ";
        INFO("hatop against " << target.label << ": " << described << "\n" << screen);
        CHECK(problems.empty());
        if (screen.find("hatop exited") != std::string::npos) continue;
        session.keys("q");
        CHECK(wait_until(
            [&] {
                return session.screen().find("hatop exited with status 0") != std::string::npos;
            },
            deadline_in(5s), 100ms));
    }
}

}  // namespace
}  // namespace lb::test::compat
