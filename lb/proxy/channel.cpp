#include "lb/proxy/channel.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

namespace lb {
namespace {

// Bounded work per readiness event, so one fast connection cannot starve the others. The edge
// is not lost: a channel stopped here keeps its readiness and is pumped again (see Forwarder).
constexpr int kMaxRounds = 8;
constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

void Channel::drop_carrier() noexcept {
    if (pipe_) {
        if (in_flight_ == 0)
            pipes_->release(*pipe_);
        else
            KernelPipePool::discard(*pipe_);  // bytes left inside: never for another session
        pipe_.reset();
    }
    if (buffer_ != nullptr) {
        buffers_.release(buffer_);  // user space: the next lease overwrites what is left
        buffer_ = nullptr;
    }
    in_flight_ = 0;
    sent_ = 0;
}

bool Channel::lease_carrier() noexcept {
    if (pipes_ != nullptr && bulk_) {
        pipe_ = pipes_->acquire();
        if (pipe_) return true;
        if (errno != EMFILE && errno != ENFILE) return false;
    }
    buffer_ = buffers_.acquire();
    return true;
}

void Channel::release_carrier() noexcept {
    if (pipe_) pipes_->release(*pipe_);
    pipe_.reset();
    if (buffer_ != nullptr) buffers_.release(buffer_);
    buffer_ = nullptr;
    sent_ = 0;
}

std::uint64_t Channel::pump(Readiness& source, Readiness& sink,
                            bool other_direction_finished) noexcept {
    std::uint64_t delivered = 0;
    for (int round = 0; round < kMaxRounds && !failure_ && !finished_; ++round) {
        if (in_flight_ > 0) {
            if (!sink.writable) break;
            // These are the last bytes before the source's FIN: held back (MSG_MORE) so that the
            // shutdown or close right after sends them and the FIN in one segment, which spares
            // the kernel a packet each way on the sink's connection.
            const int more = fin_seen_ ? MSG_MORE : 0;
            const ssize_t n =
                pipe_ ? ::splice(pipe_->read_fd, nullptr, to_fd_, nullptr, in_flight_,
                                 kFlags | (fin_seen_ ? SPLICE_F_MORE : 0U))
                      : ::send(to_fd_, buffer_ + sent_, in_flight_,
                               MSG_DONTWAIT | MSG_NOSIGNAL | more);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) {
                    sink.writable = false;  // full: the next EPOLLOUT edge says when
                    break;
                }
                fail(End::Sink, errno);
                break;
            }
            in_flight_ -= static_cast<std::size_t>(n);
            sent_ += static_cast<std::size_t>(n);
            bytes_ += static_cast<std::uint64_t>(n);
            delivered += static_cast<std::uint64_t>(n);
            if (in_flight_ > 0) continue;  // a short write: the next round hears EAGAIN
            release_carrier();             // empty again: an idle session holds no carrier
        }
        if (fin_seen_ || !source.readable) break;
        if (!has_carrier() && !lease_carrier()) {
            fail(End::Source, errno);
            break;
        }
        const std::size_t chunk = pipe_ ? pipe_->capacity : BufferPool::kBlockSize;
        const ssize_t n = pipe_
                              ? ::splice(from_fd_, nullptr, pipe_->write_fd, nullptr, chunk, kFlags)
                              : ::recv(from_fd_, buffer_, chunk, MSG_DONTWAIT);
        if (n > 0) {
            in_flight_ = static_cast<std::size_t>(n);
            bulk_ = in_flight_ >= kBulkRead;
            // A short recv emptied the socket (recv stops only where the queue ends): wait for the
            // next edge rather than ask again only to hear EAGAIN (one syscall saved per burst).
            // Data that arrives later raises a new edge; a FIN or a reset raises EPOLLRDHUP. A
            // splice may stop short with data left (a pipe holds a bounded number of fragments,
            // whatever their size), so it is asked again until EAGAIN.
            const bool drained = in_flight_ < chunk && !pipe_;
            if (drained && !source.ending) source.readable = false;
            // The peer's FIN had come when this edge was reported: a drained socket holds nothing
            // before it, so the stream is at its end without one more recv to hear 0.
            if (drained && source.clean_fin) fin_seen_ = true;
            continue;
        }
        if (n == 0) {
            fin_seen_ = true;
            break;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
            source.readable = false;
            break;
        }
        fail(End::Source, errno);
        break;
    }
    if (has_carrier() && in_flight_ == 0) release_carrier();
    if (fin_seen_ && in_flight_ == 0 && !finished_ && !failure_) {
        // Everything before the FIN is delivered: pass the FIN on. When the other direction is
        // already done the session is about to close both sockets, and close() sends the FIN.
        if (!other_direction_finished && ::shutdown(to_fd_, SHUT_WR) != 0 && errno != ENOTCONN)
            fail(End::Sink, errno);
        else
            finished_ = true;
    }
    return delivered;
}

void Channel::fail(End end, int error_number) noexcept { failure_ = Failure{end, -error_number}; }

}  // namespace lb
