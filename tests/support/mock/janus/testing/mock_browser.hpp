// A loopback stand-in for a Chromium browser: the server side of CDP, for tests and benchmarks
// that must not depend on a real browser (its speed, its version, its availability in CI).
//
// It speaks CDP the way Chromium frames it (WebSocket text frames on /devtools/..., or NUL-framed
// messages over --remote-debugging-pipe descriptors) and answers the HTTP discovery endpoints
// (/json/version, /json/list). Every command gets a reply: a configured result or error, the
// recorded result from a capture, or by default its own params echoed back, which keeps the reply
// path cheap enough for throughput benchmarks. Methods of a `Mock` domain, usable by any client,
// make it emit events in bulk, replay a capture, and inject faults:
//
//   Mock.emitEvents {count, method?, payloadBytes?, sessionId?}
//       `count` events {"method":method,"params":{"seq":i,"data":"xx…"}} with params of about
//       payloadBytes (default 100), in order, then the reply {"emitted":count}. The events carry
//       the sessionId param, else the request's. Paced by the transport's backpressure.
//   Mock.replay {}            the capture's events, then {"replayed":N}
//   Mock.delay {ms}           the reply (params echoed) after ms; later requests are not held up
//   Mock.neverReply {}        no reply, ever
//   Mock.malformed {}         a reply frame that is not JSON: {"id":N,"result":{
//   Mock.oversized {bytes}    a well-formed reply carrying a string of `bytes` bytes
//   Mock.closeMidStream {}    ends the connection without replying (WebSocket: TCP dropped with no
//                             close frame; pipe: closed)
//   Mock.truncatedFrame {}    ends the connection halfway through the bytes of a reply frame
#pragma once

#include <janus/protocol/transport.hpp>
#include <janus/rt/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace asio {
class io_context;
}

namespace janus::protocol {
class websocket_server;
}

namespace janus::testing {

/// @par Thread Safety
/// A plain value.
struct mock_browser_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, see mock_browser::port()
  /// A JSON-lines capture of real traffic (tests/cdp/captures/*.jsonl): `{"method","params","result"}`
  /// lines are commands with their replies, `{"method","params"}` lines events. Empty: none.
  std::string capture_path;
  /// Limits of every connection, in both directions.
  protocol::transport_limits limits;
  /// Raw JSON result per method, as if set_result() had been called for each before start().
  std::map<std::string, std::string, std::less<>> results;
};

/// The mock browser. Runs on an io_context the caller supplies and runs, on one thread.
///
/// @par Thread Safety
/// Every member may be called from any thread. stop() and the destructor post to the io_context,
/// which must outlive the mock_browser (and keep running until stop() has taken effect if the
/// caller wants connections to see on_closed()).
class mock_browser {
 public:
  /// Binds the listening socket and loads the capture. Fails with errc::transport when the address
  /// cannot be bound, errc::invalid_argument for a bad host or configured result, errc::parse or
  /// errc::not_found for an unreadable capture.
  static rt::result<std::unique_ptr<mock_browser>> start(asio::io_context& io, mock_browser_options options = {});

  mock_browser(const mock_browser&) = delete;
  mock_browser& operator=(const mock_browser&) = delete;
  /// stop()s.
  ~mock_browser();

  std::uint16_t port() const noexcept;
  /// "ws://127.0.0.1:PORT/devtools/browser/<id>", as Chromium prints on stderr.
  std::string browser_ws_url() const;
  /// "ws://127.0.0.1:PORT/devtools/page/<id>", the page target listed by /json/list.
  std::string page_ws_url() const;
  /// "http://127.0.0.1:PORT".
  std::string http_url() const;

  /// Later requests for `method` are answered with `result_json` (a JSON object's text) instead of
  /// the echo. Fails with errc::invalid_argument when it is not a JSON object.
  rt::result<void> set_result(std::string_view method, std::string_view result_json);
  /// Later requests for `method` fail with `{"code":code,"message":message}`.
  void set_error(std::string_view method, std::int64_t code, std::string_view message);
  /// Forgets what set_result() / set_error() configured for `method`.
  void clear_reply(std::string_view method);

  /// Serves one more client over Chromium's pipe framing: commands are read from `read_fd` (the
  /// browser's fd 3), replies and events written to `write_fd` (its fd 4). Takes ownership of both,
  /// also on failure. `on_closed`, if set, is called on the io_context's thread once that client is
  /// gone (it closed its end, or stop()).
  rt::result<void> serve_pipe(int read_fd, int write_fd, std::function<void()> on_closed = {});

  /// Messages received from all clients, valid CDP or not.
  std::uint64_t requests_received() const noexcept;
  /// WebSocket connections accepted plus pipe clients served.
  std::uint64_t connections_accepted() const noexcept;
  /// Events sent by Mock.emitEvents and Mock.replay.
  std::uint64_t events_emitted() const noexcept;

  /// Stops accepting and drops every connection, WebSocket and pipe. Idempotent.
  void stop();

  struct core;  // internal

 private:
  mock_browser(asio::io_context& io, std::shared_ptr<core> c);

  asio::io_context& io_;
  std::shared_ptr<core> core_;
  std::unique_ptr<protocol::websocket_server> server_;
};

}  // namespace janus::testing
