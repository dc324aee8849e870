#include "janus/testing/mock_browser.hpp"

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/protocol/pipe_transport.hpp>
#include <janus/protocol/websocket_server.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <simdjson.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

namespace janus::testing {

namespace {

namespace od = simdjson::ondemand;
using protocol::json_value;
using protocol::json_writer;
using protocol::transport;
using protocol::websocket_connection;
using rt::errc;

// JSON-RPC codes, as Chromium uses them.
constexpr std::int64_t parse_error_code = -32700;
constexpr std::int64_t invalid_request_code = -32600;
constexpr std::int64_t method_not_found_code = -32601;
constexpr std::int64_t invalid_params_code = -32602;
constexpr std::int64_t server_error_code = -32000;

constexpr std::string_view control_prefix = "Mock.";

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string_view trim_trailing_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string random_hex(std::mt19937_64& rng, std::size_t digits, bool upper) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out += alphabet[rng() & 15];
  return out;
}

// Chromium's browser id is a lowercase UUID, a page's target id 32 uppercase hex digits.
std::string random_uuid(std::mt19937_64& rng) {
  return random_hex(rng, 8, false) + '-' + random_hex(rng, 4, false) + '-' + random_hex(rng, 4, false) + '-' +
         random_hex(rng, 4, false) + '-' + random_hex(rng, 12, false);
}

std::string json_string(std::string_view s) {
  json_writer w;
  w.string(s);
  return w.take();
}

// Replies configured with set_result() / set_error().
struct reply_rule {
  bool error = false;
  std::string json;  // the result object, or the whole error object
};

// What a capture file holds, prepared for replaying: the events as ready-to-send messages, and the
// first recorded result of each command.
struct capture {
  std::vector<std::string> events;
  std::map<std::string, std::string, std::less<>> results;
};

rt::result<capture> load_capture(const std::string& path) {
  capture out;
  if (path.empty()) return out;
  std::ifstream in(path);
  if (!in) return rt::error(errc::not_found, "mock browser: cannot open capture " + path);
  std::string line;
  std::size_t line_no = 0;
  json_writer w;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim_trailing_space(line).empty()) continue;
    auto parsed = json_value::parse(line);
    const auto where = [&] { return path + ":" + std::to_string(line_no); };
    if (!parsed) return rt::error(errc::parse, where() + ": " + parsed.err().message);
    const json_value& v = parsed.value();
    const std::string* method = v["method"].get_string();
    if (!v.is_object() || method == nullptr)
      return rt::error(errc::parse, where() + ": a capture line needs a string \"method\"");
    const json_value& params = v["params"];
    if (!params.is_null() && !params.is_object())
      return rt::error(errc::parse, where() + ": \"params\" is not an object");
    if (const json_value* result = v.find("result")) {
      if (!result->is_object()) return rt::error(errc::parse, where() + ": \"result\" is not an object");
      out.results.emplace(*method, result->dump());  // the first occurrence wins
      continue;
    }
    w.clear();
    w.begin_object();
    w.key("method");
    w.string(*method);
    w.key("params");
    if (params.is_object()) params.write(w);
    else w.raw("{}");
    if (const std::string* session = v["sessionId"].get_string()) {
      w.key("sessionId");
      w.string(*session);
    }
    w.end_object();
    if (!w.ok()) return rt::error(errc::parse, where() + ": " + std::string(w.error_message()));
    out.events.emplace_back(w.view());
  }
  return out;
}

class session;

}  // namespace

/// Everything the connections share. Lives as long as the mock_browser or its last connection.
///
/// @par Thread Safety
/// rules (under rules_mu), the counters (atomics) and pipes (under pipes_mu) are used from
/// any thread; the rest is set before the first connection and only read afterwards.
struct mock_browser::core {
  explicit core(asio::io_context& context) : io(context) {}

  asio::io_context& io;
  std::string host;
  std::string url_host;  // host as it appears in a URL (IPv6 in brackets)
  std::uint16_t port = 0;
  std::string browser_id;
  std::string page_id;
  protocol::transport_limits limits;
  capture recorded;

  std::mutex rules_mu;
  std::map<std::string, reply_rule, std::less<>> rules;
  // Lets the echo path skip the lock while nothing is configured (the benchmark case).
  std::atomic<bool> have_rules{false};

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> events{0};

  // The pipe clients' transports, owned here (a session only observes its transport, so that no
  // cycle outlives an io_context that stops before every connection ended) until they end.
  std::mutex pipes_mu;
  std::vector<std::shared_ptr<transport>> pipes;
  bool stopped = false;

  void release_pipe(const transport* key) {
    std::shared_ptr<transport> handle;
    {
      std::lock_guard lk(pipes_mu);
      const auto it = std::find_if(pipes.begin(), pipes.end(), [&](const auto& p) { return p.get() == key; });
      if (it == pipes.end()) return;
      handle = std::move(*it);
      pipes.erase(it);
    }
    // Not destroyed here: this runs inside the transport's own on_closed().
    asio::post(io, [handle = std::move(handle)] {});
  }

  std::string ws_url(std::string_view kind, std::string_view id) const {
    return "ws://" + url_host + ":" + std::to_string(port) + "/devtools/" + std::string(kind) + "/" + std::string(id);
  }

  // Appends the configured reply for `method` to `out` (`,"result":…` or `,"error":…`); false when
  // there is none.
  bool append_rule(std::string_view method, std::string& out) {
    if (!have_rules.load(std::memory_order_acquire)) return false;
    std::lock_guard lk(rules_mu);
    const auto it = rules.find(method);
    if (it == rules.end()) return false;
    out += it->second.error ? ",\"error\":" : ",\"result\":";
    out += it->second.json;
    return true;
  }

  void set_rule(std::string_view method, reply_rule rule) {
    std::lock_guard lk(rules_mu);
    rules.insert_or_assign(std::string(method), std::move(rule));
    have_rules.store(true, std::memory_order_release);
  }
};

namespace {

using core = mock_browser::core;

// One decoded request. The views point into the session's parser and buffer, valid until the next
// decode.
struct request {
  bool has_id = false;
  std::int64_t id = 0;
  std::string_view method;
  std::string_view params;         // the object's JSON text; empty when absent
  std::string_view session_token;  // the sessionId's JSON text, quotes included; empty when absent
};

enum class decode_status { ok, not_json, bad_id, bad_method, bad_params };

// Events to send in order, then a final reply: Mock.emitEvents generates them, Mock.replay takes
// them from the capture.
struct emit_job {
  std::string head;  // emitEvents: everything before the sequence number...
  std::string tail;  // ...and after it
  const std::vector<std::string>* recorded = nullptr;
  std::uint64_t next = 0;
  std::uint64_t count = 0;
  std::string reply;

  std::string make(std::uint64_t i) const {
    if (recorded != nullptr) return (*recorded)[i];
    std::string s;
    s.reserve(head.size() + 20 + tail.size());
    s += head;
    append_int(s, static_cast<std::int64_t>(i));
    s += tail;
    return s;
  }
};

/// One client, over a WebSocket or a pipe pair: decodes its requests and sends the replies.
///
/// @par Thread Safety
/// Not thread-safe: every member runs on the io_context's thread (transport callbacks, posted
/// work, timers).
class session final : public protocol::transport_handler, public std::enable_shared_from_this<session> {
 public:
  session(std::shared_ptr<core> c, std::function<void()> on_gone)
      : core_(std::move(c)), on_gone_(std::move(on_gone)), drain_timer_(core_->io) {}

  ~session() override {
    if (raw_fd_ >= 0) ::close(raw_fd_);
  }

  void attach_websocket(const std::shared_ptr<websocket_connection>& c) {
    link_ = c;
    ws_ = c;
    websocket_ = true;
    attached_ = true;
  }

  // A pipe transport starts reading as soon as it is opened, before serve_pipe() can hand it here,
  // so messages (and even the end) may already have arrived: they were held back until now.
  void attach_pipe(const std::shared_ptr<transport>& t, int raw_fd) {
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

  void on_message(std::string&& message) override {
    core_->requests.fetch_add(1, std::memory_order_relaxed);
    if (closing_) return;
    if (!attached_) {
      early_.push_back(std::move(message));
      return;
    }
    handle(message);
  }

  void on_writable() override { pump(); }

  void on_closed(rt::error) override {
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

 private:
  // --- decoding -------------------------------------------------------------------------------

  // Chromium reads each message into a fresh buffer; here one buffer and one parser serve every
  // message of the connection, so the steady state allocates nothing to decode.
  simdjson::padded_string_view padded(std::string_view text) {
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

  decode_status decode(std::string_view text, request& r) {
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

  void handle(std::string_view text) {
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

  static void begin_reply(std::string& out, const request& r) {
    out += "{\"id\":";
    append_int(out, r.id);
  }

  static void end_reply(std::string& out, std::string_view session_token) {
    if (!session_token.empty()) {
      out += ",\"sessionId\":";
      out += session_token;
    }
    out += '}';
  }

  std::string result_reply(const request& r, std::string_view result_json) {
    std::string out;
    begin_reply(out, r);
    out += ",\"result\":";
    out += result_json;
    end_reply(out, r.session_token);
    return out;
  }

  void send_error(const request& r, std::int64_t code, std::string_view message, std::string_view data = {}) {
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

  // --- the Mock domain ------------------------------------------------------------------------

  void control(const request& r) {
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

  void reply_later(std::chrono::milliseconds delay, std::string reply) {
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
  void truncate(std::string message) {
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

  void write_raw_when_drained(std::string bytes) {
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

  void close_raw_fd() {
    if (raw_fd_ >= 0) ::close(raw_fd_);
    raw_fd_ = -1;
  }

  // --- sending under backpressure -------------------------------------------------------------

  // Whether the transport's queue would refuse `bytes` more (the rule of transport_limits). Only
  // this session sends on its transport and the queue only shrinks meanwhile, so an accepted
  // prediction holds; a predicted refusal is confirmed by sending a copy, which also arms
  // on_writable() (send() consumes its argument even when it refuses it).
  bool would_refuse(const transport& t, std::size_t bytes) const {
    const std::size_t count = t.queued_messages();
    return count >= core_->limits.max_queued_messages ||
           (count > 0 && t.queued_bytes() + bytes > core_->limits.max_queued_bytes);
  }

  // True when `m` is taken care of (sent, or the connection is gone); false when the transport is
  // full: `m` is left intact to be kept until on_writable().
  bool try_send(transport& t, std::string& m) {
    if (!would_refuse(t, m.size())) {
      (void)t.send(std::move(m));
      return true;
    }
    const auto r = t.send(std::string(m));
    return r || r.code() != errc::mailbox_full;
  }

  // The transport while this session may still send on it.
  std::shared_ptr<transport> live() const { return closing_ ? nullptr : link_.lock(); }

  void deliver(std::string&& m) {
    const auto t = live();
    if (!t) return;
    if (!backlog_.empty() || !try_send(*t, m)) backlog_.push_back(std::move(m));
  }

  // Sends what waits, then continues the event jobs, until the transport is full.
  void pump() {
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

  const std::shared_ptr<core> core_;
  std::function<void()> on_gone_;
  // Observed, not owned: the server owns its connections and core the pipes' transports, so that
  // the transport -> handler -> transport cycle cannot outlive an io_context that stops early.
  std::weak_ptr<transport> link_;
  std::weak_ptr<websocket_connection> ws_;  // the same connection as link_, for drop()
  const transport* pipe_key_ = nullptr;     // pipes: which of core's handles is this client's
  bool websocket_ = false;
  bool attached_ = false;
  int raw_fd_ = -1;  // pipes: a duplicate of the write end, for truncation
  bool closing_ = false;                      // no more replies: a fault ended it, or stop()
  bool closed_ = false;                       // on_closed() came

  od::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;

  std::vector<std::string> early_;
  std::deque<std::string> backlog_;  // refused by the full transport, in order
  std::deque<emit_job> jobs_;
  std::list<asio::steady_timer> timers_;  // a list: each handler erases its own timer
  asio::steady_timer drain_timer_;
};

// --- HTTP discovery endpoints ---------------------------------------------------------------------

constexpr std::string_view product = "HeadlessChrome/156.0.0.0";

std::string version_json(const core& c) {
  json_writer w;
  w.begin_object();
  w.key("Browser");
  w.string(product);
  w.key("Protocol-Version");
  w.string("1.3");
  w.key("User-Agent");
  w.string("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " + std::string(product) +
           " Safari/537.36 JanusMock");
  w.key("V8-Version");
  w.string("15.6.0.0");
  w.key("WebKit-Version");
  w.string("537.36 (@janus-mock-browser)");
  w.key("webSocketDebuggerUrl");
  w.string(c.ws_url("browser", c.browser_id));
  w.end_object();
  return w.take();
}

std::string list_json(const core& c) {
  const std::string ws = c.ws_url("page", c.page_id);
  json_writer w;
  w.begin_array();
  w.begin_object();
  w.key("description");
  w.string("");
  w.key("devtoolsFrontendUrl");
  w.string("/devtools/inspector.html?ws=" + ws.substr(std::string_view("ws://").size()));
  w.key("id");
  w.string(c.page_id);
  w.key("title");
  w.string("about:blank");
  w.key("type");
  w.string("page");
  w.key("url");
  w.string("about:blank");
  w.key("webSocketDebuggerUrl");
  w.string(ws);
  w.end_object();
  w.end_array();
  return w.take();
}

// Just the Mock domain: enough for a client that fetches the schema to find something well-formed.
constexpr std::string_view protocol_json = R"({"version":{"major":"1","minor":"3"},"domains":[{"domain":"Mock",)"
    R"("experimental":true,"commands":[{"name":"emitEvents"},{"name":"replay"},{"name":"delay"},)"
    R"({"name":"neverReply"},{"name":"malformed"},{"name":"oversized"},{"name":"closeMidStream"},)"
    R"({"name":"truncatedFrame"}],"events":[{"name":"event"}]}]})";

void answer_http(const core& c, const protocol::http_request& request, protocol::http_responder& responder) {
  std::string_view path = request.resource;
  path = path.substr(0, path.find('?'));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (request.method != "GET" && request.method != "PUT")
    return responder.respond({405, "Method not allowed", "text/plain"});
  if (path == "/json/version") return responder.respond({200, version_json(c)});
  if (path == "/json" || path == "/json/list") return responder.respond({200, list_json(c)});
  if (path == "/json/protocol") return responder.respond({200, std::string(protocol_json)});
  responder.respond({404, "Unknown url: " + std::string(path), "text/plain"});
}

}  // namespace

// --- mock_browser -----------------------------------------------------------------------------------

mock_browser::mock_browser(asio::io_context& io, std::shared_ptr<core> c) : io_(io), core_(std::move(c)) {}

rt::result<std::unique_ptr<mock_browser>> mock_browser::start(asio::io_context& io, mock_browser_options options) {
  auto c = std::make_shared<core>(io);
  c->host = options.host;
  c->url_host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  c->limits = options.limits;
  std::mt19937_64 rng(std::random_device{}());
  c->browser_id = random_uuid(rng);
  c->page_id = random_hex(rng, 32, true);
  auto recorded = load_capture(options.capture_path);
  if (!recorded) return std::move(recorded).err();
  c->recorded = std::move(recorded).value();

  std::unique_ptr<mock_browser> browser(new mock_browser(io, c));
  for (const auto& [method, json] : options.results)
    if (auto r = browser->set_result(method, json); !r) return std::move(r).err();

  protocol::websocket_server_options server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.limits = options.limits;
  // The server outlives neither the mock_browser nor core, but its callbacks may be queued on the
  // io_context past stop(): they hold core, not the mock_browser.
  server_options.on_accept = [c](const std::shared_ptr<websocket_connection>& connection)
      -> std::shared_ptr<protocol::transport_handler> {
    if (!connection->request().resource.starts_with("/devtools/")) return nullptr;
    auto s = std::make_shared<session>(c, nullptr);
    s->attach_websocket(connection);
    c->connections.fetch_add(1, std::memory_order_relaxed);
    return s;
  };
  server_options.on_http = [c](protocol::http_request request, protocol::http_responder responder) {
    answer_http(*c, request, responder);
  };
  auto server = protocol::websocket_server::listen(io, std::move(server_options));
  if (!server) return std::move(server).err();
  browser->server_ = std::move(server).value();
  c->port = browser->server_->port();
  return browser;
}

mock_browser::~mock_browser() { stop(); }

std::uint16_t mock_browser::port() const noexcept { return core_->port; }
std::string mock_browser::browser_ws_url() const { return core_->ws_url("browser", core_->browser_id); }
std::string mock_browser::page_ws_url() const { return core_->ws_url("page", core_->page_id); }
std::string mock_browser::http_url() const { return "http://" + core_->url_host + ":" + std::to_string(core_->port); }

rt::result<void> mock_browser::set_result(std::string_view method, std::string_view result_json) {
  auto parsed = json_value::parse(result_json);
  if (!parsed || !parsed.value().is_object())
    return rt::error(errc::invalid_argument, "mock browser: the result of " + std::string(method) + " is not a JSON object");
  // Stored as re-serialized, so stray whitespace or newlines cannot leak into the reply frame.
  core_->set_rule(method, reply_rule{false, parsed.value().dump()});
  return rt::ok;
}

void mock_browser::set_error(std::string_view method, std::int64_t code, std::string_view message) {
  json_writer w;
  w.begin_object();
  w.key("code");
  w.number(code);
  w.key("message");
  w.string(message);
  w.end_object();
  core_->set_rule(method, reply_rule{true, w.take()});
}

void mock_browser::clear_reply(std::string_view method) {
  std::lock_guard lk(core_->rules_mu);
  if (const auto it = core_->rules.find(method); it != core_->rules.end()) core_->rules.erase(it);
}

rt::result<void> mock_browser::serve_pipe(int read_fd, int write_fd, std::function<void()> on_closed) {
  const int raw_fd = write_fd >= 0 ? ::fcntl(write_fd, F_DUPFD_CLOEXEC, 0) : -1;
  {
    std::lock_guard lk(core_->pipes_mu);
    if (core_->stopped) {
      for (int fd : {read_fd, write_fd, raw_fd})
        if (fd >= 0) ::close(fd);
      return rt::error(errc::disconnected, "mock browser: stopped");
    }
  }
  auto s = std::make_shared<session>(core_, std::move(on_closed));
  protocol::pipe_options options;
  options.limits = core_->limits;
  auto t = protocol::open_pipe_transport(io_, read_fd, write_fd, s, options);
  if (!t) {
    if (raw_fd >= 0) ::close(raw_fd);
    return std::move(t).err();
  }
  if (raw_fd < 0) {
    t.value()->close();
    return rt::error(errc::invalid_argument, "mock browser: cannot duplicate the pipe's write descriptor");
  }
  std::shared_ptr<transport> handle = std::move(t).value();
  {
    std::lock_guard lk(core_->pipes_mu);
    core_->pipes.push_back(handle);
  }
  core_->connections.fetch_add(1, std::memory_order_relaxed);
  asio::post(io_, [s, handle, raw_fd] { s->attach_pipe(handle, raw_fd); });
  return rt::ok;
}

std::uint64_t mock_browser::requests_received() const noexcept { return core_->requests.load(std::memory_order_relaxed); }
std::uint64_t mock_browser::connections_accepted() const noexcept {
  return core_->connections.load(std::memory_order_relaxed);
}
std::uint64_t mock_browser::events_emitted() const noexcept { return core_->events.load(std::memory_order_relaxed); }

void mock_browser::stop() {
  std::vector<std::shared_ptr<transport>> pipes;
  {
    std::lock_guard lk(core_->pipes_mu);
    core_->stopped = true;
    pipes.swap(core_->pipes);
  }
  if (server_) server_->stop();
  for (const auto& p : pipes) p->close();
}

}  // namespace janus::testing
