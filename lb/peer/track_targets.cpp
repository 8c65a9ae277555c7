// One timer for all targets: every interval, each target without a check in flight gets one.
#include "lb/peer/track_targets.h"

#include <fmt/format.h>

#include "config/socket_address.h"

namespace lb::peer {

Result<std::unique_ptr<TrackTargets>> TrackTargets::create(uv_loop_t* loop, Scheduler& scheduler,
                                                           const std::vector<std::string>& targets,
                                                           Duration interval, Verdict on_verdict) {
    std::unique_ptr<TrackTargets> out(
        new TrackTargets(loop, scheduler, interval, std::move(on_verdict)));
    for (const std::string& text : targets) {
        constexpr std::string_view kScheme = "tcp://";
        const auto address = text.starts_with(kScheme)
                                 ? SocketAddress::parse_endpoint(text.substr(kScheme.size()))
                                 : std::nullopt;
        if (!address)
            return Error{fmt::format(R"(peer.track: expected "tcp://ADDRESS:PORT", got "{}")", text)};
        auto target = std::make_unique<Target>();
        target->text = text;
        target->check.address = *address;
        target->check.kind = config::CheckKind::Tcp;
        target->check.timeout = 3 * interval;
        target->prober = std::make_unique<health::TcpProber>(loop);
        out->targets_.push_back(std::move(target));
    }
    return out;
}

TrackTargets::TrackTargets(uv_loop_t* loop, Scheduler& scheduler, Duration interval,
                           Verdict on_verdict)
    : loop_(loop), scheduler_(scheduler), interval_(interval), on_verdict_(std::move(on_verdict)) {}

TrackTargets::~TrackTargets() { stop(); }

void TrackTargets::start() {
    if (targets_.empty() || timer_) return;
    timer_ = scheduler_.make_timer([this] { on_timer(); });
    on_timer();
}

void TrackTargets::stop() {
    stopped_ = true;
    timer_.reset();
    for (auto& target : targets_) target->prober->cancel();
}

void TrackTargets::on_timer() {
    if (stopped_) return;
    for (auto& owned : targets_) {
        Target& target = *owned;
        if (target.in_flight) continue;  // a slow target: its timeout ends the check
        target.in_flight = true;
        target.prober->start(target.check, [this, &target](health::CheckResult result) {
            on_result(target, result);
        });
    }
    timer_->arm(interval_);
}

void TrackTargets::on_result(Target& target, const health::CheckResult& result) {
    target.in_flight = false;
    if (stopped_ || result.inconclusive) return;  // out of fds here says nothing of the target
    if (!result.ok) target.last_failure = result.reason;
    if (target.state.record(result.ok)) judge();
}

void TrackTargets::judge() {
    std::string problem;
    for (const auto& target : targets_) {
        if (target->state.health() != health::Health::Down) continue;
        if (!problem.empty()) problem += "; ";
        problem += fmt::format("track {} unreachable ({} ×{})", target->text,
                               target->last_failure, kTrackFall);
    }
    if (problem == problem_) return;
    problem_ = std::move(problem);
    if (on_verdict_) on_verdict_(problem_);
}

}  // namespace lb::peer
