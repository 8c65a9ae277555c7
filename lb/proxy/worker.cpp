#include "lb/proxy/worker.h"

#include <unistd.h>

#include <algorithm>

#include "lb/base/logger.h"
#include "lb/base/uv_status.h"
#include "lb/proxy/access_log.h"

namespace lb {
namespace {

constexpr std::uint64_t kAcceptErrorLogIntervalMs = 1000;

}  // namespace

Worker::Worker(std::size_t index, const ActiveSite& active_site, ConnectionBudget& budget,
               DataPathObserver& observer, std::shared_ptr<const ProxySettings> settings)
    : index_(index),
      active_site_(active_site),
      budget_(budget),
      observer_(observer),
      settings_(std::move(settings)) {}

Worker::~Worker() {
    if (thread_.joinable()) thread_.join();
}

void Worker::start(std::vector<int> listen_fds) {
    thread_ = std::thread([this, fds = std::move(listen_fds)]() mutable { run(std::move(fds)); });
}

void Worker::stop(Duration drain) {
    loop_.post([this, drain] { begin_stop(drain); });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

bool Worker::collect_sessions(std::function<void(std::vector<SessionView>)> done) {
    return loop_.post([this, done = std::move(done)] {
        std::vector<SessionView> views;
        views.reserve(sessions_.size());
        for (const auto& [id, session] : sessions_) {
            if (session->closing()) continue;
            const auto& settings = session->settings();
            SessionView view;
            view.id = id;
            view.client = session->client_address() ? session->client_address()->to_string() : "-";
            view.listener = settings.routes[session->listener_index()].name;
            view.site = session->site() ? settings.site_names[*session->site()] : "-";
            view.age_ms = session->age_ms();
            view.bytes_to_site = session->bytes_to_site();
            view.bytes_to_client = session->bytes_to_client();
            view.established = session->connect_ms().has_value();
            views.push_back(std::move(view));
        }
        done(std::move(views));
    });
}

void Worker::close_sessions_on_site(std::size_t site) {
    loop_.post([this, site] {
        for (auto& [id, session] : sessions_)
            if (session->site() == site)
                session->close(
                    Termination{Termination::Cause::Shutdown, Termination::Phase::Data, 0});
    });
}

void Worker::run(std::vector<int> listen_fds) {
    if (const int rc = readiness_.start(loop_.raw()); rc != 0) {
        log::error("worker {}: cannot watch sockets: {}", index_, uv_error_text(rc));
        for (const int fd : listen_fds) ::close(fd);
        loop_.shutdown_inbox();
        return;
    }
    auto* check = new uv_check_t;
    uv_check_init(loop_.raw(), check);
    check->data = this;
    reaper_ = UvHandle<uv_check_t>(check);
    auto* idle = new uv_idle_t;
    uv_idle_init(loop_.raw(), idle);
    idle->data = this;
    reaper_wakeup_ = UvHandle<uv_idle_t>(idle);
    for (std::size_t i = 0; i < listen_fds.size(); ++i)
        if (auto listener = open_listener(i, listen_fds[i]))
            listeners_.push_back(std::move(listener));
    loop_.run();
}

std::unique_ptr<Listener> Worker::open_listener(std::size_t index, int fd) {
    const ListenerRoute& route = settings_->routes[index];
    auto listener = std::make_unique<Listener>(*this, index, route.name, route.bind);
    if (const int rc = listener->start(loop_.raw(), fd); rc != 0) {
        log::error("worker {}: cannot listen on {}: {}", index_, route.bind.to_string(),
                   uv_error_text(rc));
        return nullptr;
    }
    return listener;
}

void Worker::reconfigure(std::shared_ptr<const ProxySettings> settings,
                         std::map<std::string, int> fresh_fds) {
    std::vector<int> owned;
    for (const auto& [name, fd] : fresh_fds) owned.push_back(fd);
    const bool posted =
        loop_.post([this, settings = std::move(settings), fds = std::move(fresh_fds)]() mutable {
            apply(std::move(settings), std::move(fds));
        });
    if (!posted)  // the loop has finished: nobody else will close the new sockets
        for (const int fd : owned) ::close(fd);
}

void Worker::apply(std::shared_ptr<const ProxySettings> settings,
                   std::map<std::string, int> fresh_fds) {
    settings_ = std::move(settings);
    if (stopping_) {
        for (const auto& [name, fd] : fresh_fds) ::close(fd);
        return;
    }
    std::vector<std::unique_ptr<Listener>> next;
    for (std::size_t i = 0; i < settings_->routes.size(); ++i) {
        const ListenerRoute& route = settings_->routes[i];
        auto kept = std::find_if(listeners_.begin(), listeners_.end(), [&](const auto& l) {
            return l && l->name() == route.name && l->bind() == route.bind;
        });
        if (kept != listeners_.end()) {
            (*kept)->set_index(i);
            next.push_back(std::move(*kept));
        } else if (auto fd = fresh_fds.find(route.name); fd != fresh_fds.end()) {
            if (auto listener = open_listener(i, fd->second)) next.push_back(std::move(listener));
            fresh_fds.erase(fd);
        }
    }
    for (const auto& [name, fd] : fresh_fds) ::close(fd);  // not needed after all
    listeners_ = std::move(next);                          // the ones left behind close here
}

void Worker::on_client_accepted(std::size_t listener_index, int fd) noexcept {
    const std::uint64_t id = (static_cast<std::uint64_t>(index_) << 48) | next_session_id_++;
    auto session = std::make_unique<ProxySession>(*this, id, settings_, listener_index);
    ProxySession& ref = *session;
    if (const int rc = ref.adopt_client(fd); rc != 0) {  // closed the fd: drop the session
        on_accept_error(listener_index, rc);
        return;
    }
    sessions_.emplace(id, std::move(session));
    if (stopping_) {
        ref.close(Termination{Termination::Cause::Shutdown, Termination::Phase::Connect, 0});
        return;
    }
    if (!budget_.try_acquire()) {
        settings_->routes[listener_index].counters.rejected();
        ref.close(Termination{Termination::Cause::Limit, Termination::Phase::Connect, 0});
        return;
    }
    ref.start(active_site_.read());
}

void Worker::on_accept_error(std::size_t listener_index, int status) noexcept {
    const std::uint64_t now = uv_now(loop_.raw());
    if (now - last_accept_error_log_ < kAcceptErrorLogIntervalMs && last_accept_error_log_ != 0)
        return;
    last_accept_error_log_ = now;
    log::warning("listener {}: accept failed: {}", settings_->routes[listener_index].name,
                 uv_error_text(status));
}

void Worker::on_connect_failed(std::size_t site, const Termination& why) noexcept {
    observer_.on_connect_failed(site, why);
}

void Worker::on_connected(std::size_t site) noexcept { observer_.on_connected(site); }

void Worker::on_session_closed(ProxySession& session) noexcept {
    if (closed_.empty() && reaper_) {
        uv_check_start(reaper_.get(), &Worker::on_reap);
        uv_idle_start(reaper_wakeup_.get(), &Worker::on_reap_soon);
    }
    closed_.push_back(&session);
}

void Worker::on_reap(uv_check_t* check) noexcept {
    if (auto* self = static_cast<Worker*>(check->data)) self->reap();
}

void Worker::on_reap_soon(uv_idle_t*) noexcept {}  // only keeps the poll phase from blocking

void Worker::reap() noexcept {
    uv_check_stop(reaper_.get());
    uv_idle_stop(reaper_wakeup_.get());
    std::vector<ProxySession*> closed;
    closed.swap(closed_);
    for (ProxySession* session : closed) retire(*session);
    finish_if_stopped();
}

void Worker::retire(ProxySession& session) noexcept {
    const Termination& why = session.termination();
    // A session closed before it took a slot (limit, shutdown) must not give one back.
    const bool held_slot = session.site().has_value();
    const auto log_format = session.settings().log_format;
    if (log_format != config::LogFormat::None) {
        const auto& settings = session.settings();
        ConnectionRecord record;
        record.client = session.client_address();
        record.accepted = session.accepted_wall();
        record.listener = settings.routes[session.listener_index()].name;
        record.site = session.site() ? std::string_view(settings.site_names[*session.site()])
                                     : std::string_view("-");
        record.connect_ms = session.connect_ms();
        record.total_ms = session.age_ms();
        record.bytes_to_client = session.bytes_to_client();
        record.bytes_to_site = session.bytes_to_site();
        record.termination = why;
        record.active_connections = static_cast<std::uint64_t>(budget_.active());
        record.retries = session.retries();
        log::write_raw(format_connection(log_format, record));
    }
    if (held_slot) budget_.release();
    sessions_.erase(session.id());
}

void Worker::begin_stop(Duration drain) {
    if (stopping_) {
        if (drain.count() == 0)  // a second, urgent stop cuts the drain short
            close_all_sessions(
                Termination{Termination::Cause::Shutdown, Termination::Phase::Data, 0});
        return;
    }
    stopping_ = true;
    for (auto& listener : listeners_) listener->close();
    if (sessions_.empty() || drain.count() == 0) {
        close_all_sessions(Termination{Termination::Cause::Shutdown, Termination::Phase::Data, 0});
        finish_if_stopped();
        return;
    }
    log::info("worker {}: draining {} sessions for up to {} ms", index_, sessions_.size(),
              drain.count());
    drain_timer_ = scheduler_.make_timer([this] {
        close_all_sessions(Termination{Termination::Cause::Shutdown, Termination::Phase::Data, 0});
    });
    drain_timer_->arm(drain);
}

void Worker::close_all_sessions(Termination why) {
    // close() only starts closing; sessions leave the table from their close callbacks.
    for (auto& [id, session] : sessions_) session->close(why);
}

void Worker::finish_if_stopped() {
    if (!stopping_ || !sessions_.empty()) return;
    drain_timer_.reset();
    listeners_.clear();
    reaper_.reset();
    reaper_wakeup_.reset();
    readiness_.stop();
    loop_.shutdown_inbox();  // the loop now runs out of handles and run() returns
}

}  // namespace lb
