// One mock client (mock_session.hpp): attaching to its transport, decoding requests, answering
// them (the echo hot path, configured replies, errors as Chromium words them), and sending under
// the transport's backpressure. The Mock domain's commands are in mock_control.cpp.
#include "mock_session.hpp"

#include <janus/protocol/json_writer.hpp>

#include <unistd.h>

#include <cstring>
#include <utility>

namespace janus::testing::mock_detail {

namespace od = simdjson::ondemand;
using protocol::json_writer;
using protocol::transport;
using protocol::websocket_connection;
using rt::errc;

session::session(std::shared_ptr<core> c, std::function<void()> on_gone)
    : core_(std::move(c)), on_gone_(std::move(on_gone)), drain_timer_(core_->io) {}

session::~session() {
  if (raw_fd_ >= 0) ::close(raw_fd_);
}

void session::attach_websocket(const std::shared_ptr<websocket_connection>& c) {
  link_ = c;
  ws_ = c;
  websocket_ = true;
  attached_ = true;
}

// A pipe transport starts reading as soon as it is opened, before serve_pipe() can hand it here,
// so messages (and even the end) may already have arrived: they were held back until now.
void session::attach_pipe(const std::shared_ptr<transport>& t, int raw_fd) {
  raw_fd_ = raw_fd;
  bool stopped = false;
  {
    std::lock_guard lk(core_->pipes_mu);
    stopped = core_->stopped;
  }
  if (closed_ || stopped) {
    t->close();
    close_raw_fd();
    core_->release_pipe(t.get());
    return;
  }
  link_ = t;
  pipe_key_ = t.get();
  attached_ = true;
  std::vector<std::string> early = std::move(early_);
  for (auto& m : early) {
    if (closing_) break;
    handle(m);
  }
}

void session::on_message(std::string&& message) {
  core_->requests.fetch_add(1, std::memory_order_relaxed);
  if (closing_) return;
  if (!attached_) {
    early_.push_back(std::move(message));
    return;
  }
  handle(message);
}

void session::on_closed(rt::error) {
  closed_ = true;
  closing_ = true;
  for (auto& t : timers_) t.cancel();
  drain_timer_.cancel();
  jobs_.clear();
  backlog_.clear();
  early_.clear();
  close_raw_fd();
  link_.reset();
  ws_.reset();
  if (pipe_key_ != nullptr) core_->release_pipe(pipe_key_);
  if (auto f = std::move(on_gone_)) f();
}

// --- decoding -------------------------------------------------------------------------------

// Chromium reads each message into a fresh buffer; here one buffer and one parser serve every
// message of the connection, so the steady state allocates nothing to decode.
simdjson::padded_string_view session::padded(std::string_view text) {
  const std::size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (need > buffer_capacity_) {
    std::size_t cap = buffer_capacity_ < 4096 ? 4096 : buffer_capacity_;
    while (cap < need) cap *= 2;
    buffer_.reset(new char[cap]);
    buffer_capacity_ = cap;
  }
  std::memcpy(buffer_.get(), text.data(), text.size());
  std::memset(buffer_.get() + text.size(), ' ', simdjson::SIMDJSON_PADDING);
  // simdjson checks that brackets balance only when the byte after the text closes the root
  // (simdjson issue #1834; see protocol/codec/ondemand_support.hpp).
  buffer_[text.size()] = '}';
  return simdjson::padded_string_view(buffer_.get(), text.size(), buffer_capacity_);
}

decode_status session::decode(std::string_view text, request& r) {
  od::document doc;
  if (parser_.iterate(padded(text)).get(doc)) return decode_status::not_json;
  od::object root;
  if (doc.get_object().get(root)) return decode_status::not_json;
  bool bad_id = false, bad_method = false, bad_params = false, have_method = false;
  for (auto member : root) {
    od::field field;
    if (std::move(member).get(field)) return decode_status::not_json;
    std::string_view key;
    if (field.unescaped_key().get(key)) return decode_status::not_json;
    od::value v = field.value();
    if (key == "id") {
      r.has_id = !v.get_int64().get(r.id);
      bad_id = !r.has_id;
    } else if (key == "method") {
      have_method = !v.get_string().get(r.method);
      bad_method = !have_method;
    } else if (key == "sessionId") {
      const std::string_view token = v.raw_json_token();
      std::string_view unused;
      if (v.get_string().get(unused)) return decode_status::not_json;
      r.session_token = trim_trailing_space(token);
    } else if (key == "params") {
      od::object params;
      if (v.get_object().get(params)) {
        bad_params = true;
        continue;
      }
      if (params.raw_json().get(r.params)) return decode_status::not_json;
      r.params = trim_trailing_space(r.params);
      // simdjson skips an object by bracket depth, so `{"a":[1}]` would pass as one.
      if (r.params.empty() || r.params.back() != '}') return decode_status::not_json;
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return decode_status::not_json;
  if (bad_id || !r.has_id) return decode_status::bad_id;
  if (bad_method || !have_method) return decode_status::bad_method;
  if (bad_params) return decode_status::bad_params;
  return decode_status::ok;
}

// --- answering ------------------------------------------------------------------------------

void session::handle(std::string_view text) {
  request r;
  switch (decode(text, r)) {
    case decode_status::ok: break;
    case decode_status::not_json:
      return send_error(request{}, parse_error_code, "Message must be a valid JSON");
    case decode_status::bad_id:
      return send_error(request{}, invalid_request_code, "Message must have integer 'id' property");
    case decode_status::bad_method:
      return send_error(r, invalid_request_code, "Message must have string 'method' property");
    case decode_status::bad_params:
      return send_error(r, invalid_params_code, "Invalid parameters", "params: object expected");
  }
  if (r.method.starts_with(control_prefix)) return control(r);

  // The hot path: one string, sized once, and the transport takes it without copying.
  std::string out;
  out.reserve(40 + r.params.size() + r.session_token.size());
  begin_reply(out, r);
  if (!core_->append_rule(r.method, out)) {
    out += ",\"result\":";
    const auto& recorded = core_->recorded.results;
    const auto it = recorded.empty() ? recorded.end() : recorded.find(r.method);
    if (it != recorded.end()) out += it->second;
    else out += r.params.empty() ? std::string_view("{}") : r.params;
  }
  end_reply(out, r.session_token);
  deliver(std::move(out));
}

void session::begin_reply(std::string& out, const request& r) {
  out += "{\"id\":";
  append_int(out, r.id);
}

void session::end_reply(std::string& out, std::string_view session_token) {
  if (!session_token.empty()) {
    out += ",\"sessionId\":";
    out += session_token;
  }
  out += '}';
}

std::string session::result_reply(const request& r, std::string_view result_json) {
  std::string out;
  begin_reply(out, r);
  out += ",\"result\":";
  out += result_json;
  end_reply(out, r.session_token);
  return out;
}

void session::send_error(const request& r, std::int64_t code, std::string_view message, std::string_view data) {
  json_writer w;
  w.begin_object();
  if (r.has_id) {
    w.key("id");
    w.number(r.id);
  }
  w.key("error");
  w.begin_object();
  w.key("code");
  w.number(code);
  w.key("message");
  w.string(message);
  if (!data.empty()) {
    w.key("data");
    w.string(data);
  }
  w.end_object();
  if (!r.session_token.empty()) {
    w.key("sessionId");
    w.raw(r.session_token);
  }
  w.end_object();
  deliver(w.take());
}


// --- sending under backpressure -------------------------------------------------------------

// Whether the transport's queue would refuse `bytes` more (the rule of transport_limits). Only
// this session sends on its transport and the queue only shrinks meanwhile, so an accepted
// prediction holds; a predicted refusal is confirmed by sending a copy, which also arms
// on_writable() (send() consumes its argument even when it refuses it).
bool session::would_refuse(const transport& t, std::size_t bytes) const {
  const std::size_t count = t.queued_messages();
  return count >= core_->limits.max_queued_messages ||
         (count > 0 && t.queued_bytes() + bytes > core_->limits.max_queued_bytes);
}

// True when `m` is taken care of (sent, or the connection is gone); false when the transport is
// full: `m` is left intact to be kept until on_writable().
bool session::try_send(transport& t, std::string& m) {
  if (!would_refuse(t, m.size())) {
    (void)t.send(std::move(m));
    return true;
  }
  const auto r = t.send(std::string(m));
  return r || r.code() != errc::mailbox_full;
}


void session::deliver(std::string&& m) {
  const auto t = live();
  if (!t) return;
  if (!backlog_.empty() || !try_send(*t, m)) backlog_.push_back(std::move(m));
}

// Sends what waits, then continues the event jobs, until the transport is full.
void session::pump() {
  const auto t = live();
  if (!t) return;
  while (!backlog_.empty()) {
    if (!try_send(*t, backlog_.front())) return;
    backlog_.pop_front();
  }
  while (!jobs_.empty() && !closing_) {
    emit_job& job = jobs_.front();
    std::string m;
    if (job.next < job.count) {
      m = job.make(job.next++);
      core_->events.fetch_add(1, std::memory_order_relaxed);
    } else {
      m = std::move(job.reply);
      jobs_.pop_front();
    }
    if (!try_send(*t, m)) {
      backlog_.push_back(std::move(m));
      return;
    }
  }
}

}  // namespace janus::testing::mock_detail
