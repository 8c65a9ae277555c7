// HAProxy's configuration preprocessor (2.4 and later), evaluated line by line before sections
// are read: `.if COND` / `.elif COND` / `.else` / `.endif` keep or drop the lines between them,
// `.notice`, `.warning` and `.diag` print a message, `.alert` makes HAProxy refuse the file.
//
// A condition is what HAProxy 2.6 accepts: `!`, `&&`, `||`, parentheses, numbers (0 is false)
// and the predicates defined(VAR), streq(A,B), strneq(A,B), feature(NAME),
// version_atleast(V), version_before(V), openssl_version_atleast(V),
// openssl_version_before(V), ssllib_name_startswith(S). Variables come from the import's
// environment, like HAProxy's from its own. The file's HAProxy is not known: a condition on the
// version, the features or the TLS library is evaluated as Debian 12's HAProxy 2.6 (OpenSSL
// 3.0) does, with a warning saying so. What HAProxy refuses (an unparsable condition, an
// unbalanced block, `.alert`) is an error: the import refuses the file as HAProxy would.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/tokenizer.h"

namespace lb::config::haproxy {

class Preprocessor {
public:
    Preprocessor(const Environment& env, ImportDiagnostics& out) : env_(env), out_(out) {}

    // Whether `line` is one for the sections (true), or a preprocessor line or one inside a
    // block whose condition does not hold (false).
    [[nodiscard]] bool keep(const Line& line);
    // At the end of the file: a block still open is an error.
    void finish(int last_line);

    // The value of a condition's text (the words after `.if`, joined by blanks); an error is
    // reported at `line` and false returned when HAProxy could not parse it.
    [[nodiscard]] bool evaluate(std::string_view condition, int line);

private:
    struct Block {
        int line = 0;
        bool taken = false;   // a branch of this block held already
        bool active = false;  // the lines of the current branch are kept
        bool seen_else = false;
        bool outer_active = true;  // the enclosing block's lines are kept
    };
    [[nodiscard]] bool active() const { return blocks_.empty() || blocks_.back().active; }

    const Environment& env_;
    ImportDiagnostics& out_;
    std::vector<Block> blocks_;
};

}  // namespace lb::config::haproxy
