// Lifetime: the server's table owns the connection until the pipe's close callback, which libuv
// runs after every cancelled write callback; late answers look the connection up in
// the table by id (through a weak_ptr) and find it gone.
#include "lb/admin/admin_connection.h"

#include <fmt/format.h>

#include <algorithm>

#include "lb/admin/commands.h"
#include "lb/base/logger.h"
#include "lb/base/uv_status.h"

namespace lb::admin {
namespace {

// The body plus the empty line that ends a reply. Empty lines inside the body are dropped: they
// would end the reply early for the client.
std::string frame(std::string_view body) {
    std::string out;
    out.reserve(body.size() + 2);
    std::size_t pos = 0;
    while (pos < body.size()) {
        const std::size_t nl = body.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? body.size() : nl;
        if (end > pos) {
            out.append(body.substr(pos, end - pos));
            out += '\n';
        }
        pos = end + 1;
    }
    out += '\n';
    return out;
}

}  // namespace

AdminConnection::AdminConnection(std::shared_ptr<Table> table, CommandHandler& handler,
                                 const AdminLimits& limits)
    : table_(std::move(table)),
      id_(table_->next_id()),
      handler_(handler),
      limits_(limits),
      idle_timeout_(limits.idle_timeout) {}

bool AdminConnection::accept_from(uv_stream_t* listener, bool refuse) {
    if (const int rc = uv_pipe_init(listener->loop, &pipe_, 0); rc != 0) {
        log::warning("admin: cannot accept a client: {}", uv_error_text(rc));
        return false;  // a failed init registered nothing
    }
    pipe_.data = this;
    last_activity_ms_ = uv_now(listener->loop);
    if (const int rc = uv_accept(listener, stream()); rc != 0) {
        log::warning("admin: cannot accept a client: {}", uv_error_text(rc));
        close();
        return true;
    }
    if (refuse) {
        quit_ = true;
        reply_now(error_reply(
            fmt::format("too many admin connections (at most {})", limits_.max_connections)));
        return true;
    }
    if (const int rc = uv_read_start(stream(), &on_alloc, &on_read); rc != 0) {
        log::warning("admin: cannot read from a client: {}", uv_error_text(rc));
        close();
    }
    return true;
}

void AdminConnection::close() noexcept {
    if (closing_) return;
    closing_ = true;
    slots_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), &on_closed);
}

void AdminConnection::close_if_idle() noexcept {
    if (closing_ || !slots_.empty() || writes_in_flight_ > 0) return;
    const std::uint64_t now = uv_now(pipe_.loop);
    if (now - last_activity_ms_ < static_cast<std::uint64_t>(idle_timeout_.count())) return;
    log::debug("admin: closing a client idle for {} ms", now - last_activity_ms_);
    close();
}

void AdminConnection::on_closed(uv_handle_t* handle) noexcept {
    auto* self = static_cast<AdminConnection*>(handle->data);
    self->table_->erase(self->id_);  // the only handle: frees the connection
}

void AdminConnection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<AdminConnection*>(handle->data);
    *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
}

void AdminConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) noexcept {
    auto* self = static_cast<AdminConnection*>(stream->data);
    if (self->closing_ || nread == 0) return;  // 0: EAGAIN, neither data nor EOF
    if (nread == UV_EOF) return self->on_eof();
    if (nread < 0) {
        log::debug("admin: client gone: {}", uv_error_text(static_cast<int>(nread)));
        return self->close();
    }
    self->last_activity_ms_ = uv_now(stream->loop);
    self->consume(std::string_view(self->read_buffer_.data(), static_cast<std::size_t>(nread)));
    self->finish_if_done();  // non-interactive: nothing more to answer once this is answered
}

void AdminConnection::consume(std::string_view data) {
    while (!data.empty() && !closing_ && !quit_) {
        const std::size_t nl = data.find('\n');
        const std::string_view piece = data.substr(0, nl);
        if (discarding_) {
            if (nl == std::string_view::npos) return;
            discarding_ = false;
        } else if (line_.size() + piece.size() > kMaxLineBytes + 1) {  // + a tolerated "\r"
            line_.clear();
            reply_now(
                error_reply(fmt::format("line too long (over {} bytes); ignored", kMaxLineBytes)));
            if (nl == std::string_view::npos) {
                discarding_ = true;
                return;
            }
        } else {
            line_.append(piece);
            if (nl == std::string_view::npos) return;
            run_line();
        }
        data.remove_prefix(nl + 1);
    }
}

void AdminConnection::on_eof() {
    read_eof_ = true;
    // `printf 'show info' | socat ...` sends no final newline: the last line still counts.
    if (!discarding_ && !quit_ && !line_.empty()) run_line();
    finish_if_done();
}

void AdminConnection::run_line() {
    const std::string line = std::move(line_);
    line_.clear();
    // "a;b" is two commands, answered in order, as in HAProxy.
    for (const std::string& command : split_commands(line)) {
        if (quit_ || closing_) return;
        run_command(command);
    }
}

void AdminConnection::run_command(std::string_view text) {
    PreparedCommand command = handler_.prepare(text);
    switch (command.session) {
        case SessionEffect::Quit:
            quit_ = true;
            uv_read_stop(stream());
            return finish_if_done();
        case SessionEffect::TogglePrompt: interactive_ = !interactive_; break;
        case SessionEffect::SetIdleTimeout: idle_timeout_ = command.idle_timeout; break;
        case SessionEffect::None: break;
    }
    if (!command.run) return;
    if (command.may_answer_later && waiting_ >= limits_.max_waiting_replies)
        return reply_now(error_reply("too many commands waiting for a reply on this connection"));
    const std::uint64_t seq = open_slot();
    command.run([table = std::weak_ptr<Table>(table_), id = id_, seq](std::string body) {
        if (const auto live = table.lock())
            if (AdminConnection* self = live->find(id)) self->complete(seq, body);
    });
}

std::uint64_t AdminConnection::open_slot() {
    slots_.push_back(Slot{next_seq_, false, interactive_, {}});
    ++waiting_;
    return next_seq_++;
}

void AdminConnection::complete(std::uint64_t seq, std::string_view body) {
    if (closing_) return;  // the client is gone: the answer has nowhere to go
    const auto slot =
        std::find_if(slots_.begin(), slots_.end(), [seq](const Slot& s) { return s.seq == seq; });
    if (slot == slots_.end() || slot->ready) return;
    slot->text = frame(body);
    if (slot->prompt) slot->text += "> ";
    slot->ready = true;
    answered_ = true;
    --waiting_;
    output_bytes_ += slot->text.size();
    flush();
}

void AdminConnection::flush() {
    while (!slots_.empty() && slots_.front().ready && !closing_) {
        std::string text = std::move(slots_.front().text);
        slots_.pop_front();
        write(std::move(text));
    }
    if (closing_) return;
    if (output_bytes_ > limits_.max_output_bytes) {
        log::warning("admin: closing a client that does not read its replies ({} bytes pending)",
                     output_bytes_);
        return close();
    }
    finish_if_done();
}

void AdminConnection::write(std::string text) {
    auto* request = new WriteRequest{{}, std::move(text)};
    request->req.data = request;
    const uv_buf_t buf =
        uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
    if (const int rc = uv_write(&request->req, stream(), &buf, 1, &on_written); rc != 0) {
        output_bytes_ -= request->data.size();
        delete request;
        log::debug("admin: cannot write a reply: {}", uv_error_text(rc));
        return close();
    }
    ++writes_in_flight_;
}

void AdminConnection::on_written(uv_write_t* req, int status) noexcept {
    auto* request = static_cast<WriteRequest*>(req->data);
    auto* self = static_cast<AdminConnection*>(req->handle->data);
    self->output_bytes_ -= request->data.size();
    self->last_activity_ms_ = uv_now(req->handle->loop);
    --self->writes_in_flight_;
    delete request;
    if (self->closing_) return;  // cancelled by close(), or finished just before it
    if (status < 0) {
        log::debug("admin: client gone while writing: {}", uv_error_text(status));
        return self->close();
    }
    self->finish_if_done();
}

void AdminConnection::finish_if_done() {
    if (closing_ || !slots_.empty() || writes_in_flight_ > 0) return;
    // Non-interactive, as HAProxy: once what was received is answered, the connection ends,
    // whether or not the client shut its side (a client waiting for EOF would hang otherwise).
    // A line still arriving (no newline yet) is waited for.
    const bool answered_all = !interactive_ && answered_ && line_.empty() && !discarding_;
    if (read_eof_ || quit_ || answered_all) close();
}

}  // namespace lb::admin
