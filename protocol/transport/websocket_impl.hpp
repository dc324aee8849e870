// The only door to websocketpp.
//
// websocketpp 0.8.2 does not compile as C++20 with GCC 12, so all of it lives in one C++17
// translation unit (websocket_impl.cpp) behind this header, which therefore uses nothing newer
// than C++17 and includes neither websocketpp nor any Janus header that needs C++20. The C++20
// side (websocket_session.cpp, websocket_server.cpp) adds queues, limits and error reporting.
//
// Every function and callback here runs on the io_context's thread, except utf8_valid().
#pragma once

// Standard headers first: asio's config picks its allocation functions from libstdc++'s feature
// macros, so a translation unit that includes asio before any standard header compiles a different
// asio::aligned_new than the others, and memory from asio's per-thread recycling cache is then
// freed with the wrong deallocator.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>

namespace janus::protocol::detail {

/// How a WebSocket connection ended, as far as websocketpp can tell.
enum class ws_end : std::uint8_t {
  peer_closed,   // the peer sent a close frame, or the TCP connection ended without one
  local_closed,  // the close handshake this side started has finished
  too_large,     // the peer announced a message above the size limit; the connection was dropped
  failed,        // connect, handshake or I/O failed
};

/// Callbacks of one connection.
class ws_events {
 public:
  virtual void ws_open() = 0;
  virtual void ws_message(std::string&& payload) = 0;
  /// A text frame of `payload_bytes` left websocketpp: written to the socket, or discarded because
  /// the connection ended. Reported for every send_text(), exactly once.
  virtual void ws_written(std::size_t payload_bytes) = 0;
  /// Last call; `detail` explains it for people.
  virtual void ws_closed(ws_end how, std::string detail) = 0;

 protected:
  ~ws_events() = default;
};

/// One connection (client or server side).
class ws_link {
 public:
  virtual ~ws_link() = default;
  /// Queues a text frame. The payload is moved into the frame without copying (a client masks it
  /// in place).
  virtual void send_text(std::string&& payload) = 0;
  /// Starts the close handshake; before the connection is open this is drop().
  virtual void close(std::uint16_t code, const std::string& reason) = 0;
  /// Ends the TCP connection without a close handshake, after writing `trailing_bytes` verbatim
  /// (to simulate a truncated frame). Frames queued in websocketpp may be cut off.
  virtual void drop(std::string trailing_bytes) = 0;
  /// Stop reading frames: websocketpp finishes the frames of the buffer it has read and issues no
  /// further read. Only from inside ws_message() (then no read is outstanding afterwards).
  virtual void pause_reading() = 0;
  /// Start reading again; only after pause_reading(), outside ws_message().
  virtual void resume_reading() = 0;
};

struct ws_settings {
  std::size_t max_message_bytes = 0;
  long open_timeout_ms = 0;   // opening handshake (client: after the TCP connect)
  long close_timeout_ms = 0;  // close handshake
};

/// Starts connecting to a ws:// URL; `events` receives ws_open() or ws_closed(failed, ...). Returns
/// null and sets `error` when the URL is unusable.
std::shared_ptr<ws_link> ws_connect(asio::io_context& io, const std::string& url, const ws_settings& settings,
                                    std::shared_ptr<ws_events> events, std::string& error);

struct ws_http_request {
  std::string method;
  std::string resource;  // path and query, as sent
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The pending response to one plain HTTP request. Dropping it without send() closes the
/// connection without a response.
class ws_http_reply {
 public:
  virtual ~ws_http_reply() = default;
  virtual void send(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                    std::string body) = 0;
};

/// Callbacks of a listening server.
class ws_server_events {
 public:
  /// A WebSocket upgrade request arrived; return the connection's events to accept it, or null to
  /// answer 404. `link` is the connection (not open yet: ws_open() follows the handshake).
  virtual std::shared_ptr<ws_events> ws_accept(const ws_http_request& upgrade, const std::shared_ptr<ws_link>& link) = 0;
  /// A plain HTTP request arrived.
  virtual void ws_http(ws_http_request&& request, std::shared_ptr<ws_http_reply> reply) = 0;

 protected:
  ~ws_server_events() = default;
};

class ws_listener {
 public:
  virtual ~ws_listener() = default;
  virtual std::uint16_t port() const = 0;
  /// Stops accepting, drops every connection (WebSocket or HTTP) still open, and forgets `events`.
  virtual void stop() = 0;
};

/// Listens on host:port (port 0 picks a free one). Returns null and sets `error` on failure.
/// `events` is held weakly: its owner keeps it alive while the server serves.
std::shared_ptr<ws_listener> ws_listen(asio::io_context& io, const std::string& host, std::uint16_t port,
                                       const ws_settings& settings, std::shared_ptr<ws_server_events> events,
                                       std::string& error);

/// websocketpp's UTF-8 validator (text frames must carry UTF-8). Any thread.
bool utf8_valid(const char* data, std::size_t size) noexcept;

}  // namespace janus::protocol::detail
