// The Mock domain of a mock client (mock_session.hpp): Mock.emitEvents and Mock.replay (event
// jobs the session pumps under backpressure), Mock.delay and Mock.neverReply, and the injected
// faults (a malformed or oversized reply, a connection closed or a frame cut in the middle).
#include "mock_session.hpp"

#include <janus/protocol/json_value.hpp>

#include <unistd.h>

#include <optional>
#include <utility>

namespace janus::testing::mock_detail {

using protocol::json_value;

void session::control(const request& r) {
  const std::string_view name = r.method.substr(control_prefix.size());
  json_value params = json_value::object();
  if (!r.params.empty()) {
    auto parsed = json_value::parse(r.params);
    if (!parsed) return send_error(r, invalid_params_code, "Invalid parameters", parsed.err().message);
    params = std::move(parsed).value();
  }
  const auto int_param = [&](std::string_view key, std::int64_t dflt) -> std::optional<std::int64_t> {
    const json_value* v = params.find(key);
    if (v == nullptr) return dflt;
    const auto i = v->get_int();
    if (!i || *i < 0) return std::nullopt;
    return i;
  };
  const auto bad_param = [&](std::string_view key) {
    send_error(r, invalid_params_code, "Invalid parameters", std::string(key) + ": non-negative integer expected");
  };

  if (name == "emitEvents") {
    const auto count = int_param("count", 1);
    if (!count) return bad_param("count");
    const auto bytes = int_param("payloadBytes", 100);
    if (!bytes) return bad_param("payloadBytes");
    const json_value& method = params["method"];
    const json_value& session_param = params["sessionId"];
    if (!method.is_null() && !method.is_string())
      return send_error(r, invalid_params_code, "Invalid parameters", "method: string expected");
    if (!session_param.is_null() && !session_param.is_string())
      return send_error(r, invalid_params_code, "Invalid parameters", "sessionId: string expected");
    const std::string session_token =
        session_param.is_string() ? json_string(session_param.as_string()) : std::string(r.session_token);

    emit_job job;
    job.count = static_cast<std::uint64_t>(*count);
    job.head = "{\"method\":" + json_string(method.is_string() ? method.as_string() : "Mock.event") +
               ",\"params\":{\"seq\":";
    // The params object is `{"seq":<i>,"data":"<padding>"}`: pad it to about payloadBytes.
    const std::size_t seq_digits = std::to_string(job.count == 0 ? 0 : job.count - 1).size();
    const std::size_t overhead = std::string_view(R"({"seq":,"data":""})").size() + seq_digits;
    const std::size_t padding = static_cast<std::size_t>(*bytes) > overhead ? static_cast<std::size_t>(*bytes) - overhead : 0;
    job.tail = ",\"data\":\"" + std::string(padding, 'x') + "\"}";
    end_reply(job.tail, session_token);
    job.reply = result_reply(r, "{\"emitted\":" + std::to_string(job.count) + "}");
    jobs_.push_back(std::move(job));
    return pump();
  }
  if (name == "replay") {
    if (core_->recorded.events.empty() && core_->recorded.results.empty())
      return send_error(r, server_error_code, "Mock.replay: no capture loaded (capture_path, --replay)");
    emit_job job;
    job.recorded = &core_->recorded.events;
    job.count = core_->recorded.events.size();
    job.reply = result_reply(r, "{\"replayed\":" + std::to_string(job.count) + "}");
    jobs_.push_back(std::move(job));
    return pump();
  }
  if (name == "delay") {
    const auto ms = int_param("ms", 0);
    if (!ms) return bad_param("ms");
    return reply_later(std::chrono::milliseconds(*ms), result_reply(r, r.params.empty() ? "{}" : r.params));
  }
  if (name == "neverReply") return;
  if (name == "malformed") {
    std::string out;
    begin_reply(out, r);
    out += ",\"result\":{";
    return deliver(std::move(out));
  }
  if (name == "oversized") {
    const auto bytes = int_param("bytes", 0);
    if (!bytes) return bad_param("bytes");
    std::string out;
    out.reserve(static_cast<std::size_t>(*bytes) + 64);
    begin_reply(out, r);
    out += ",\"result\":{\"data\":\"";
    out.append(static_cast<std::size_t>(*bytes), 'x');
    out += "\"}";
    end_reply(out, r.session_token);
    return deliver(std::move(out));
  }
  if (name == "closeMidStream") {
    closing_ = true;
    if (auto w = ws_.lock()) w->drop();
    else if (auto t = link_.lock()) t->close();
    return;
  }
  if (name == "truncatedFrame") return truncate(result_reply(r, "{}"));
  send_error(r, method_not_found_code, "'" + std::string(r.method) + "' wasn't found");
}

void session::reply_later(std::chrono::milliseconds delay, std::string reply) {
  auto& timer = timers_.emplace_back(core_->io, delay);
  // Holding only a weak reference lets a connection that ends meanwhile go away at once; its
  // timers are then cancelled by their destructor and the handlers find nobody.
  timer.async_wait([weak = weak_from_this(), it = std::prev(timers_.end()), reply = std::move(reply)](
                       const std::error_code& ec) mutable {
    const auto self = weak.lock();
    if (!self) return;
    self->timers_.erase(it);
    if (!ec) self->deliver(std::move(reply));
  });
}

// Ends the connection in the middle of `message`: the peer gets the first half of its bytes on
// the wire, then the end of the stream.
void session::truncate(std::string message) {
  closing_ = true;
  if (websocket_) {
    // An unmasked server text frame: FIN + opcode 1, then the 7-, 16- or 64-bit length.
    std::string frame("\x81", 1);
    const std::size_t n = message.size();
    if (n < 126) {
      frame += static_cast<char>(n);
    } else if (n <= 0xffff) {
      frame += static_cast<char>(126);
      for (int shift = 8; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xff);
    } else {
      frame += static_cast<char>(127);
      for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xff);
    }
    frame += message;
    frame.resize(frame.size() / 2);
    if (auto w = ws_.lock()) w->drop(std::move(frame));
    return;
  }
  // The pipe transport writes whole messages only: the half goes to the descriptor directly, once
  // everything queued before it is out, so it lands after them on the stream.
  message.resize(message.size() / 2);
  write_raw_when_drained(std::move(message));
}

void session::write_raw_when_drained(std::string bytes) {
  const auto t = link_.lock();
  if (closed_ || !t) return;
  if (!backlog_.empty() || t->queued_messages() > 0) {
    drain_timer_.expires_after(std::chrono::milliseconds(1));
    drain_timer_.async_wait([weak = weak_from_this(), bytes = std::move(bytes)](const std::error_code& ec) mutable {
      const auto self = weak.lock();
      if (self && !ec) self->write_raw_when_drained(std::move(bytes));
    });
    return;
  }
  // The descriptor is non-blocking (the transport made it so): a reader that is not reading gets
  // less, which is still a truncated message.
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const ssize_t n = ::write(raw_fd_, rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  close_raw_fd();
  t->close();
}

void session::close_raw_fd() {
  if (raw_fd_ >= 0) ::close(raw_fd_);
  raw_fd_ = -1;
}

}  // namespace janus::testing::mock_detail
