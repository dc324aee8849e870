// A debugger server on 127.0.0.1 that plays Firefox's RDP side for rdp_connection's tests with
// exactly the orderings a test needs (replies held back and released per actor, events between
// replies, overtaking errors, a hung actor, a dropped connection): each test scripts it.
#pragma once

#include <janus/protocol/json_value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace janus::session::test {

constexpr const char* firefox_greeting =
    R"({"from":"root","applicationType":"browser","testConnectionPrefix":"server1.conn0.","traits":{}})";

/// One request as the peer read it.
struct packet {
  std::string to;
  std::string type;
  protocol::json_value body;
};

/// It accepts one connection, sends `greeting`, then hands every packet it reads to `script` (on
/// its own thread). Blocking I/O with short polls, so that it stops promptly.
///
/// @par Thread Safety
/// send, send_raw, drop, wait_received and received may be called from any thread.
class rdp_peer {
 public:
  using script_fn = std::function<void(rdp_peer&, const packet&)>;

  explicit rdp_peer(script_fn script, std::string greeting);
  explicit rdp_peer(script_fn script) : rdp_peer(std::move(script), firefox_greeting) {}
  ~rdp_peer();
  rdp_peer(const rdp_peer&) = delete;
  rdp_peer& operator=(const rdp_peer&) = delete;

  std::uint16_t port() const { return port_; }

  /// Writes one packet (any thread).
  void send(const std::string& json);
  /// Writes bytes as they are (a bulk packet).
  void send_raw(const std::string& wire);
  /// Ends the connection as a crashing server would.
  void drop();
  /// Waits until `n` packets have been read; false after `timeout`.
  bool wait_received(std::size_t n, std::chrono::milliseconds timeout);
  bool wait_received(std::size_t n) { return wait_received(n, std::chrono::seconds(5)); }
  std::vector<packet> received() const;

 private:
  void run();

  script_fn script_;
  std::string greeting_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex write_mu_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<packet> received_;
};

}  // namespace janus::session::test
