#include "lb/admin/haproxy_info.h"

#include "lb/admin/haproxy_fields.h"
#include "lb/admin/status_format.h"

namespace lb::admin::haproxy {

std::string format_show_info(const Status& status, HaproxyFormat format) {
    const ProcessInfo& p = status.process;
    InfoRecord info;
    // Neutral values first: HAProxy prints these fields on every process.
    for (const char* name : {"Memmax_MB",
                             "PoolAlloc_MB",
                             "PoolUsed_MB",
                             "PoolFailed",
                             "CumReq",
                             "MaxSslConns",
                             "CurrSslConns",
                             "CumSslConns",
                             "Maxpipes",
                             "PipesUsed",
                             "PipesFree",
                             "ConnRateLimit",
                             "SessRateLimit",
                             "SslRate",
                             "SslRateLimit",
                             "MaxSslRate",
                             "SslFrontendKeyRate",
                             "SslFrontendMaxKeyRate",
                             "SslFrontendSessionReuse_pct",
                             "SslBackendKeyRate",
                             "SslBackendMaxKeyRate",
                             "SslCacheLookups",
                             "SslCacheMisses",
                             "CompressBpsIn",
                             "CompressBpsOut",
                             "CompressBpsRateLim",
                             "Tasks",
                             "Run_queue",
                             "Unstoppable Jobs",
                             "ActivePeers",
                             "ConnectedPeers",
                             "DroppedLogs",
                             "BusyPolling",
                             "FailedResolutions",
                             "DebugCommandsIssued",
                             "CumRecvLogs",
                             "Memmax_bytes",
                             "PoolAlloc_bytes",
                             "PoolUsed_bytes"})
        info.set(name, std::uint64_t{0});
    info.set("Name", "sitelb")
        .set("Version", status.version)
        .set("Release_date", LB_RELEASE_DATE)
        .set("Nbthread", status.workers)
        .set("Nbproc", 1)
        .set("Process_num", 1)
        .set("Pid", static_cast<std::uint64_t>(status.pid))
        .set("Uptime", format_uptime(status.uptime_s))
        .set("Uptime_sec", status.uptime_s)
        .set("Ulimit-n", p.ulimit_n)
        .set("Maxsock", p.ulimit_n)
        .set("Maxconn", status.max_connections)
        .set("Hard_maxconn", status.max_connections)
        .set("CurrConns", status.connections_active)
        .set("CumConns", status.connections_total)
        .set("ConnRate", p.conn_rate)
        .set("MaxConnRate", p.conn_rate_max)
        // A TCP session is its connection.
        .set("SessRate", p.conn_rate)
        .set("MaxSessRate", p.conn_rate_max)
        .set("Idle_pct", p.idle_pct)
        .set("node", p.node)
        .set("Stopping", status.stopping ? 1 : 0)
        // HAProxy's jobs: connections plus listeners.
        .set("Jobs", status.connections_active + status.listeners.size())
        .set("Listeners", status.listeners.size())
        .set("TotalBytesOut", p.bytes_out_total)
        .set("TotalSplicdedBytesOut", p.splice ? p.bytes_out_total : 0)
        .set("BytesOutRate", p.bytes_out_rate)
        .set("Build info", status.version)
        .set("Start_time_sec", p.start_time_s)
        .set("Tainted", "0");
    switch (format) {
        case HaproxyFormat::Text:
            return info.text();
        case HaproxyFormat::Typed:
            return info.typed();
        case HaproxyFormat::Json:
            return info.json();
    }
    return info.text();
}

}  // namespace lb::admin::haproxy
