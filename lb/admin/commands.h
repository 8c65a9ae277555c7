// Runs a parsed admin command against the Controller and renders its reply body. A body is ""
// (an empty reply, e.g. a successful HAProxy `set server`) or lines each ending in "\n", never
// an empty line; the admin socket appends the empty line that ends every reply.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lb/admin/command_handler.h"
#include "lb/admin/command_parser.h"
#include "lb/admin/controller.h"

namespace lb::admin {

// Calls `reply` exactly once: at once for most commands, later (on the loop thread, from the
// Controller) for `show sessions`, `show sess` and `reload`. Quit, Prompt and SetTimeoutCli are
// the connection's business: the body is empty.
void execute(Controller& controller, const Command& command, ReplyCallback reply);

// Commands whose reply may come later; a connection bounds how many it waits for.
[[nodiscard]] bool is_async(const Command& command);

// True when a reply body reports a failure: lb's "error: ..." lines, or one of the HAProxy
// error texts kept verbatim for compatibility ("No such backend.", ...). `lb ctl` exits 1 then.
[[nodiscard]] bool is_error_reply(std::string_view body);

// "error: <message>\n", unless the message already starts with "error:".
[[nodiscard]] std::string error_reply(std::string_view message);

}  // namespace lb::admin
