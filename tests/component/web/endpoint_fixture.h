// An HttpEndpoint on a real loop running on its own thread, so the test thread can be a blocking
// HTTP client (or wait for Chromium) while the loop serves. Everything touching the endpoint runs
// on the loop thread through call(); finish() ends with uv_loop_close's status.
#pragma once

#include <uv.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lb/metrics/metrics.h"
#include "lb/proxy/traffic_counters.h"
#include "lb/web/http_endpoint.h"
#include "tests/support/test_sockets.h"

namespace lb::web::testing {

// Two sites, the standby active: the page must say which one.
inline admin::Status fixture_status() {
    admin::Status status;
    status.version = "0.1.0-test";
    status.active_site = "site-beta";
    status.epoch = 3;
    status.last_transition = "site-alpha -> site-beta (health): site-alpha down";
    status.failovers_total = 1;
    for (const char* name : {"site-alpha", "site-beta"}) {
        admin::SiteStatus site;
        site.name = name;
        site.role =
            site.name == "site-alpha" ? config::SiteRole::Primary : config::SiteRole::Standby;
        site.health = site.name == "site-alpha" ? health::Health::Down : health::Health::Up;
        site.active = site.name == "site-beta";
        site.admin_state = policy::AdminState::Ready;
        status.sites.push_back(site);
    }
    admin::ListenerStatus https;
    https.name = "https";
    https.bind = "0.0.0.0:443";
    status.listeners.push_back(https);
    return status;
}

class EndpointFixture {
public:
    // `metrics_text`: what /metrics serves instead of the fixture's registry (e.g. a body too
    // large to be written at once).
    explicit EndpointFixture(HttpEndpoint::Limits limits = {},
                             const std::string& address = "127.0.0.1:0",
                             HttpEndpoint::MetricsText metrics_text = {})
        : metrics_({"site-alpha", "site-beta"}, traffic_, "0.1.0-test"),
          https_(traffic_.sink(0).route("https", {"site-alpha", "site-beta"})) {
        if (!metrics_text) metrics_text = [this] { return metrics_.serialize(); };
        const auto bind = SocketAddress::parse_endpoint(address);
        REQUIRE(bind.has_value());
        REQUIRE(uv_loop_init(&loop_) == 0);
        REQUIRE(uv_async_init(&loop_, &inbox_, &on_inbox) == 0);
        inbox_.data = this;
        thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
        running_ = true;
        try {
            start_error_ = call([&]() -> std::string {
                endpoint_ = std::make_unique<HttpEndpoint>(
                    &loop_, std::move(metrics_text), [] { return fixture_status(); }, limits);
                const Result<Ok> started = endpoint_->start(*bind);
                return started.ok() ? std::string() : started.error();
            });
            port_ = call([&] { return endpoint_->port(); });
        } catch (...) {
            (void)finish();  // the destructor will not run: join the thread here
            throw;
        }
    }

    ~EndpointFixture() { (void)finish(); }  // after a failed REQUIRE: still join the thread
    EndpointFixture(const EndpointFixture&) = delete;
    EndpointFixture& operator=(const EndpointFixture&) = delete;

    // Runs `fn` on the loop thread and returns its result.
    template <typename Fn>
    auto call(Fn fn) -> decltype(fn()) {
        auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
        auto result = task->get_future();
        REQUIRE(post_and_wait([task] { (*task)(); }));
        return result.get();
    }

    // Destroys the endpoint, lets every close callback run and closes the loop: 0 when nothing
    // leaked (STYLE §8: every component test CHECKs it). Never throws: destructors call it.
    [[nodiscard]] int finish() {
        if (!running_) return -1;
        running_ = false;
        const bool done = post_and_wait([this] {
            endpoint_.reset();
            uv_close(reinterpret_cast<uv_handle_t*>(&inbox_), nullptr);
        });
        if (!done) {  // a stuck loop: leak it rather than hang or crash the test binary
            thread_.detach();
            return -1;
        }
        thread_.join();
        uv_run(&loop_, UV_RUN_DEFAULT);  // nothing should be left; harmless if so
        return uv_loop_close(&loop_);
    }

    // HttpEndpoint::stop() on the loop thread; the endpoint stays (its close callbacks run on).
    void stop_endpoint() {
        call([this] {
            endpoint_->stop();
            return 0;
        });
    }

    [[nodiscard]] const std::string& start_error() const { return start_error_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::size_t connections() {
        return call([this] { return endpoint_->connection_count(); });
    }
    [[nodiscard]] metrics::Metrics& metrics() { return metrics_; }
    // Worker 0's counters for listener "https" (the test thread plays that worker).
    [[nodiscard]] const RouteCounters& https() const { return https_; }

private:
    // Runs `task` on the loop thread; false if it did not finish within 10 s.
    bool post_and_wait(std::function<void()> task) {
        auto done = std::make_shared<std::promise<void>>();
        auto finished = done->get_future();
        {
            std::lock_guard lock(mutex_);
            tasks_.emplace_back([task = std::move(task), done] {
                task();
                done->set_value();
            });
        }
        uv_async_send(&inbox_);
        return finished.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    }

    static void on_inbox(uv_async_t* async) noexcept {
        auto* self = static_cast<EndpointFixture*>(async->data);
        std::vector<std::function<void()>> batch;
        {
            std::lock_guard lock(self->mutex_);
            batch.swap(self->tasks_);
        }
        for (auto& task : batch) task();
    }

    TrafficCounters traffic_;  // before metrics_, which reads it
    metrics::Metrics
        metrics_;  // serialize() is thread-safe; the test thread moves counters directly
    RouteCounters https_;
    uv_loop_t loop_{};
    uv_async_t inbox_{};
    std::mutex mutex_;
    std::vector<std::function<void()>> tasks_;
    std::thread thread_;
    bool running_ = false;
    std::unique_ptr<HttpEndpoint> endpoint_;
    std::string start_error_;
    std::uint16_t port_ = 0;
};

struct HttpReply {
    bool parsed = false;
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string raw;
};

// Sends `request` as is and reads until the server closes.
inline HttpReply http_exchange(std::uint16_t port, const std::string& request,
                               const std::string& ip = "127.0.0.1") {
    HttpReply reply;
    const auto deadline = test::deadline_in(std::chrono::seconds(10));
    const test::Fd fd = test::connect_tcp(ip, port, deadline);
    REQUIRE(fd.valid());
    REQUIRE(test::send_all(fd.get(), request, deadline) == test::IoStatus::Ok);
    const test::Received received = test::recv_until_eof(fd.get(), deadline);
    reply.raw = received.data;
    const auto end = reply.raw.find("\r\n\r\n");
    if (end == std::string::npos || !reply.raw.starts_with("HTTP/1.1 ")) return reply;
    reply.status = std::stoi(reply.raw.substr(9, 3));
    reply.body = reply.raw.substr(end + 4);
    std::size_t line = reply.raw.find("\r\n") + 2;
    while (line < end) {
        const auto next = reply.raw.find("\r\n", line);
        const std::string field = reply.raw.substr(line, next - line);
        const auto colon = field.find(':');
        if (colon == std::string::npos) return reply;
        std::string name = field.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
        line = next + 2;
    }
    reply.parsed = true;
    return reply;
}

inline HttpReply http_get(std::uint16_t port, const std::string& path,
                          const std::string& method = "GET") {
    return http_exchange(port, method + " " + path + " HTTP/1.1\r\nHost: lb\r\n\r\n");
}

// The <tr> holding `<span class="site-name">name</span>`, or "" when there is none.
inline std::string site_row(const std::string& html, const std::string& name) {
    const auto at = html.find("<span class=\"site-name\">" + name + "</span>");
    if (at == std::string::npos) return {};
    const auto begin = html.rfind("<tr", at);
    const auto end = html.find("</tr>", at);
    if (begin == std::string::npos || end == std::string::npos) return {};
    return html.substr(begin, end - begin);
}

}  // namespace lb::web::testing
