// A small WebSocket + HTTP server on loopback, for tests: the mock CDP browser answers
// GET /json/version and /json/list through on_http and accepts /devtools/... upgrades through
// on_accept. Connections are ordinary transports, plus drop() to inject transport faults.
#pragma once

#include <janus/protocol/http_message.hpp>
#include <janus/protocol/transport.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asio {
class io_context;
}

namespace janus::protocol {

/// The pending answer to one HTTP request. Respond now, later (a delayed reply), or never: keep
/// the responder without calling respond() to simulate a server that hangs. Destroying it without
/// responding closes the connection with no response (the client sees EOF).
///
/// @par Thread Safety
/// respond() may be called from any thread; it posts to the server's io_context, which must
/// outlive the responder. A responder object itself is not to be shared between threads.
class http_responder {
 public:
  struct state;  // internal

  http_responder() = default;
  explicit http_responder(std::shared_ptr<state> s) : state_(std::move(s)) {}

  /// Sends the response; the connection closes afterwards. Only the first call has an effect.
  void respond(http_response response);
  /// True until respond() was called (or for a default-constructed responder, never).
  bool pending() const noexcept { return state_ != nullptr; }

 private:
  std::shared_ptr<state> state_;
};

/// One accepted WebSocket connection. Unlike the client transports, the server owns its
/// connections: a connection stays open until it is closed, dropped, the peer leaves or the server
/// stops, whether or not anyone holds this pointer.
///
/// @par Thread Safety
/// As transport: every member may be called from any thread.
class websocket_connection : public transport {
 public:
  /// The upgrade request (its resource is the path the client asked for).
  virtual const http_request& request() const noexcept = 0;
  /// Fault injection: once the queued messages are written, writes `trailing_bytes` verbatim (half
  /// a frame, garbage...) and ends the TCP connection without a close handshake. The handler then
  /// gets on_closed(errc::disconnected). No-op once the connection is closing.
  virtual void drop(std::string trailing_bytes = {}) = 0;
};

/// @par Thread Safety
/// A plain value; the callbacks are called on the io_context's thread.
struct websocket_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, see websocket_server::port()
  transport_limits limits;
  std::chrono::milliseconds close_timeout{5000};
  /// A WebSocket upgrade arrived (inspect connection->request()). Return the handler of the new
  /// connection to accept it, or null to answer 404. Messages arrive after the handshake; messages
  /// sent before that are queued. Unset: every upgrade is refused.
  std::function<std::shared_ptr<transport_handler>(const std::shared_ptr<websocket_connection>& connection)>
      on_accept;
  /// A plain HTTP request arrived. Unset: 404.
  std::function<void(http_request request, http_responder responder)> on_http;
};

/// @par Thread Safety
/// port() and url() may be called from any thread; stop() and the destructor too (they post to
/// the io_context, which must outlive the server).
class websocket_server {
 public:
  /// Binds and starts accepting. Fails with errc::transport when the address cannot be bound and
  /// errc::invalid_argument when the host is not an IP address.
  static rt::result<std::unique_ptr<websocket_server>> listen(asio::io_context& io,
                                                              websocket_server_options options);

  websocket_server(const websocket_server&) = delete;
  websocket_server& operator=(const websocket_server&) = delete;
  /// stop()s.
  ~websocket_server();

  std::uint16_t port() const noexcept { return port_; }
  /// "ws://127.0.0.1:<port>" followed by `path`.
  std::string url(std::string_view path = "/") const;

  /// Stops accepting and drops every open connection (their handlers get on_closed()) and every
  /// HTTP request still waiting for its response. Idempotent.
  void stop();

  struct parts;  // internal

 private:
  websocket_server(asio::io_context& io, std::shared_ptr<parts> p, std::string host, std::uint16_t port);

  asio::io_context& io_;
  std::shared_ptr<parts> parts_;
  std::string host_;
  std::uint16_t port_;
  std::once_flag stopped_;
};

}  // namespace janus::protocol
