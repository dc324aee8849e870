// A WebSocket peer whose behaviour each test scripts: it plays the browser with exactly the
// timing and ordering a test needs (replies held back and shuffled, drops at a chosen moment),
// which a general-purpose mock cannot promise.
#pragma once

#include "../transport/transport_test_support.hpp"

#include <janus/protocol/cdp_codec.hpp>
#include <janus/protocol/websocket_server.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace janus::session::test {

using protocol::test::io_thread;

/// The decoded view of one command the peer received.
struct command {
  std::int64_t id = 0;
  std::string method;
  std::string params;
  std::string session_id;
};

/// Pulls id, method, params and sessionId out of a command text (the client's encoder writes them
/// in that order, so a substring scan is enough for a test peer).
command parse_command(const std::string& text);

/// Reply text for a command: `{"id":N,"result":RESULT}` plus its sessionId.
std::string reply_for(const command& c, const std::string& result_json);

class scripted_peer {
 public:
  using on_command = std::function<void(const std::shared_ptr<protocol::websocket_connection>&, command)>;

  explicit scripted_peer(on_command f);
  ~scripted_peer();

  std::string url() const { return server_->url("/devtools/browser/test"); }
  /// Every connection accepted so far (a reconnect adds one).
  std::vector<std::shared_ptr<protocol::websocket_connection>> connections() const;
  std::size_t accepted() const { return accepted_.load(); }
  io_thread& io() { return io_; }

 private:
  class handler;
  io_thread io_;
  on_command f_;
  std::unique_ptr<protocol::websocket_server> server_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<protocol::websocket_connection>> conns_;
  std::atomic<std::size_t> accepted_{0};
};

}  // namespace janus::session::test
