-- bench/wrk/report.lua — wrk's done() hook: one machine-readable line with the figures the bench
-- needs (latencies in microseconds; errors split as wrk counts them; "status" = HTTP status > 399).
--
-- WRK_PACE_MS=N (environment): each connection waits N ms between its requests, so latency is
-- measured at a steady, moderate load instead of at saturation (the "paced" workload).
local pace = tonumber(os.getenv("WRK_PACE_MS") or "")
if pace then
    delay = function() return pace end
end

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "WRK requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d timeout=%d status=%d p50_us=%d p99_us=%d max_us=%d\n",
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
        e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
