// The arbiter's Prometheus metrics, built at scrape time from one status snapshot (every series
// exists from the start, at 0, so rate() sees the first event):
//   lb_arbiter_lease_holder{member}          1 for the member holding an unexpired lease
//   lb_arbiter_lease_remaining_seconds       time left on that lease (0: nobody holds it)
//   lb_arbiter_lease_seconds                 the length of a grant ([arbiter] lease)
//   lb_arbiter_requests_total{verdict}       admitted requests: granted|refused|released
//   lb_arbiter_member_requests_total{member} admitted requests of each member
//   lb_arbiter_holder_changes_total          the lease went to another member, or to nobody
//   lb_arbiter_requests_dropped_total{reason}  datagrams dropped, by the adverts' reasons
//   lb_arbiter_decision_epoch                epoch of the newest decision reported (0: none)
//   lb_build_info{version}                   as lb run's
#pragma once

#include <string>

#include "lb/arbiter/arbiter_status.h"

namespace lb::arbiter {

// The Prometheus text exposition format, version 0.0.4.
[[nodiscard]] std::string metrics_text(const ArbiterStatus& status);

}  // namespace lb::arbiter
