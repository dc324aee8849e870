// One WebSocket connection as a Janus transport: the bounded queue, the limits, the close sequence
// and the error reporting on top of a websocketpp link (websocket_impl.hpp). Both the client
// transport and the server's connections are sessions; only how they start differs.
#pragma once

#include "send_queue.hpp"
#include "websocket_impl.hpp"

#include <janus/protocol/websocket_server.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::protocol::detail {

/// @par Thread Safety
/// The transport and websocket_connection members may be called from any thread; the ws_events
/// callbacks and the start functions run on the io_context's thread.
class ws_session final : public websocket_connection, public ws_events, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(asio::io_context& io, const transport_limits& limits, std::chrono::milliseconds close_timeout,
             std::string peer, http_request request);

  /// Client side: `link` is connecting; report to `done` within `timeout`, then serve `handler`.
  void start_client(std::shared_ptr<ws_link> link, std::shared_ptr<transport_handler> handler, connect_callback done,
                    std::chrono::milliseconds timeout);
  /// Server side: `link` is in its opening handshake.
  void start_server(std::shared_ptr<ws_link> link, std::shared_ptr<transport_handler> handler);

  using transport::send;
  rt::result<void> send(std::string&& message) override;
  void close() override;
  std::size_t queued_bytes() const noexcept override { return queue_.bytes(); }
  std::size_t queued_messages() const noexcept override { return queue_.messages(); }
  bool is_open() const noexcept override { return open_.load(); }
  void pause_reading() override;
  void resume_reading() override;

  const http_request& request() const noexcept override { return request_; }
  void drop(std::string trailing_bytes) override;

  void ws_open() override;
  void ws_message(std::string&& payload) override;
  void ws_written(std::size_t payload_bytes) override;
  void ws_closed(ws_end how, std::string detail) override;

 private:
  void begin_close();
  void flush();
  void close_link_if_drained();
  void end(rt::error why);

  asio::io_context& io_;
  send_queue queue_;
  const transport_limits limits_;
  const std::chrono::milliseconds close_timeout_;
  const std::string peer_;  // for error messages
  const http_request request_;
  asio::steady_timer timer_;  // connect deadline, then close deadline
  // Weak: the link belongs to its websocketpp connection and holds this session as its events, so
  // a strong reference here would make a cycle that outlives an io_context destroyed mid-connection.
  std::weak_ptr<ws_link> link_;
  std::shared_ptr<transport_handler> handler_;
  connect_callback connecting_;  // set while a client connect is pending
  std::vector<std::string> batch_;
  std::optional<std::string> drop_bytes_;  // set when closing means drop(), not a close handshake

  std::atomic<bool> open_{true};
  std::atomic<bool> close_requested_{false};
  // io thread only:
  bool close_begun_ = false;  // begin_close() ran, so drop_bytes_ says how to close
  bool link_open_ = false;
  bool link_closing_ = false;
  bool timed_out_ = false;  // the close deadline passed and the link was dropped
  bool ended_ = false;
  bool read_paused_ = false;
  bool pause_pending_ = false;
  bool in_message_ = false;
};

}  // namespace janus::protocol::detail
