// WebSocket client transport: how Janus talks CDP to a browser started with
// --remote-debugging-port (ws://127.0.0.1:<port>/devtools/browser/<id>).
//
// Messages are text frames. Sending never copies the payload; a message received is handed over
// in the string websocketpp assembled it in.
#pragma once

#include <janus/protocol/transport.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace asio {
class io_context;
}

namespace janus::protocol {

/// @par Thread Safety
/// A plain value.
struct websocket_options {
  transport_limits limits;
  /// TCP connect plus the opening handshake must finish within this, or the connect fails with
  /// errc::timeout.
  std::chrono::milliseconds connect_timeout{10000};
  /// How long close() waits for queued messages to be taken and the close handshake to finish
  /// before it drops the TCP connection.
  std::chrono::milliseconds close_timeout{5000};
};

/// Connects to a ws://host:port/path URL and reports the result to `done` on the io_context's
/// thread: errc::invalid_argument for a malformed URL, errc::transport when the connection is
/// refused or the handshake fails (the HTTP status is in the message), errc::timeout past the
/// deadline. `handler` receives messages from the moment the connection is open.
///
/// send() refuses a payload that is not valid UTF-8 (errc::invalid_argument), since text frames
/// must carry UTF-8 and the peer would drop the connection.
///
/// @par Thread Safety
/// May be called from any thread; `io` must outlive the returned transport.
void connect_websocket(asio::io_context& io, std::string url, std::shared_ptr<transport_handler> handler,
                       connect_callback done, const websocket_options& options = {});

}  // namespace janus::protocol
