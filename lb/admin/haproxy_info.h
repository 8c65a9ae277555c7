// HAProxy 2.6's `show info` of a Status: every field HAProxy prints, in its order, as
// "Key: value" lines, typed or JSON. Fields with a meaning for sitelb carry its figures; the
// others (SSL, compression, pools, peers of HAProxy's own kind) carry HAProxy's neutral value.
#pragma once

#include <string>

#include "lb/admin/command_parser.h"
#include "lb/admin/controller.h"

namespace lb::admin::haproxy {

[[nodiscard]] std::string format_show_info(const Status& status, HaproxyFormat format);

}  // namespace lb::admin::haproxy
