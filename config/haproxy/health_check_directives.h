// The health-check directives of a backend, read into its HealthCheck: `option httpchk` (the
// old form with headers after "\r\n" in the version), `http-check send` and `http-check
// expect` (status lists, rstatus regexes turned into status lists, strings). What lb's one GET
// and one expectation cannot carry is reported.
#pragma once

#include "config/haproxy/diagnostics.h"
#include "config/haproxy/document.h"
#include "config/haproxy/proxies.h"

namespace lb::config::haproxy {

// option httpchk [[METHOD] URI [VERSION]]: an HTTP check; an expectation already set stays.
void read_option_httpchk(const Directive& d, HealthCheck& check, ImportDiagnostics& out);
// http-check send [meth M] [uri U] [ver V] [hdr NAME VALUE]... [body B]
void read_http_check_send(const Directive& d, HealthCheck& check, ImportDiagnostics& out);
// http-check expect [options] [!] MATCH PATTERN: the first expectation is kept.
void read_http_check_expect(const Directive& d, HealthCheck& check, ImportDiagnostics& out);

}  // namespace lb::config::haproxy
