// One client of the mock browser, over a WebSocket or a pipe pair: decodes its requests, answers
// them (mock_session.cpp), runs the Mock domain's commands (mock_control.cpp), and sends under the
// transport's backpressure. Private to tests/support/mock/.
//
// @par Thread Safety
// Not thread-safe: every member runs on the io_context's thread (transport callbacks, posted
// work, timers).
#pragma once

#include "mock_core.hpp"

#include <janus/protocol/transport.hpp>
#include <janus/protocol/websocket_server.hpp>

#include <asio/steady_timer.hpp>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace janus::testing::mock_detail {

// JSON-RPC codes, as Chromium uses them.
constexpr std::int64_t parse_error_code = -32700;
constexpr std::int64_t invalid_request_code = -32600;
constexpr std::int64_t method_not_found_code = -32601;
constexpr std::int64_t invalid_params_code = -32602;
constexpr std::int64_t server_error_code = -32000;

constexpr std::string_view control_prefix = "Mock.";

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

class session final : public protocol::transport_handler, public std::enable_shared_from_this<session> {
 public:
  using core = mock_browser::core;

  session(std::shared_ptr<core> c, std::function<void()> on_gone);
  ~session() override;

  void attach_websocket(const std::shared_ptr<protocol::websocket_connection>& c);
  // A pipe transport starts reading as soon as it is opened, before serve_pipe() can hand it here,
  // so messages (and even the end) may already have arrived: they were held back until now.
  void attach_pipe(const std::shared_ptr<protocol::transport>& t, int raw_fd);

  void on_message(std::string&& message) override;
  void on_writable() override { pump(); }
  void on_closed(rt::error) override;

 private:
  // --- decoding and answering (mock_session.cpp) -----------------------------------------------
  simdjson::padded_string_view padded(std::string_view text);
  decode_status decode(std::string_view text, request& r);
  void handle(std::string_view text);
  static void begin_reply(std::string& out, const request& r);
  static void end_reply(std::string& out, std::string_view session_token);
  std::string result_reply(const request& r, std::string_view result_json);
  void send_error(const request& r, std::int64_t code, std::string_view message, std::string_view data);
  void send_error(const request& r, std::int64_t code, std::string_view message) { send_error(r, code, message, {}); }

  // --- the Mock domain (mock_control.cpp) ------------------------------------------------------
  void control(const request& r);
  void reply_later(std::chrono::milliseconds delay, std::string reply);
  void truncate(std::string message);
  void write_raw_when_drained(std::string bytes);
  void close_raw_fd();

  // --- sending under backpressure (mock_session.cpp) -------------------------------------------
  bool would_refuse(const protocol::transport& t, std::size_t bytes) const;
  bool try_send(protocol::transport& t, std::string& m);
  // The transport while this session may still send on it.
  std::shared_ptr<protocol::transport> live() const { return closing_ ? nullptr : link_.lock(); }
  void deliver(std::string&& m);
  void pump();

  const std::shared_ptr<core> core_;
  std::function<void()> on_gone_;
  // Observed, not owned: the server owns its connections and core the pipes' transports, so that
  // the transport -> handler -> transport cycle cannot outlive an io_context that stops early.
  std::weak_ptr<protocol::transport> link_;
  std::weak_ptr<protocol::websocket_connection> ws_;  // the same connection as link_, for drop()
  const protocol::transport* pipe_key_ = nullptr;     // pipes: which of core's handles is this client's
  bool websocket_ = false;
  bool attached_ = false;
  int raw_fd_ = -1;  // pipes: a duplicate of the write end, for truncation
  bool closing_ = false;                      // no more replies: a fault ended it, or stop()
  bool closed_ = false;                       // on_closed() came

  simdjson::ondemand::parser parser_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_capacity_ = 0;

  std::vector<std::string> early_;
  std::deque<std::string> backlog_;  // refused by the full transport, in order
  std::deque<emit_job> jobs_;
  std::list<asio::steady_timer> timers_;  // a list: each handler erases its own timer
  asio::steady_timer drain_timer_;
};

}  // namespace janus::testing::mock_detail
