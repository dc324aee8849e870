// A small HTTP/1.1 server on a loopback port, for serving pages to a browser under our control:
// the test fixtures' pages and the `janus inspect` demo page. No internet here, and no other
// address than loopback is ever bound.
//
// It answers from a route table (exact path, query ignored), or a fallback handler, and records
// every request it answered, so a test can compare what the browser saw with what was served.
// Responses may be delayed, to make "late" requests for network-idle waits. Keep-alive
// connections are honoured (browsers reuse them); request bodies are read by Content-Length.
//
// It runs on a thread of its own: it serves a browser, not the actor runtime, and must keep
// answering while the caller's thread is blocked waiting on that browser.
//
// @par Thread Safety
// Every member function may be called from any thread.
#pragma once

#include <janus/protocol/http_message.hpp>
#include <janus/rt/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace janus::protocol {

/// What the server answered, in the order the answers were written.
struct http_served {
  std::string method;
  std::string target;
  int status = 0;
  std::size_t body_bytes = 0;
};

class http_server {
 public:
  /// Returns the response for a request, or nothing for 404. Runs on the server's thread.
  using handler = std::function<std::optional<http_response>(const http_request&)>;

  /// Listens on 127.0.0.1 on a free port (or `port`), serving on a thread of its own.
  static rt::result<std::unique_ptr<http_server>> start(std::uint16_t port = 0);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port>" followed by `path`.
  std::string url(const std::string& path = "/") const;

  /// Serves `response` for `path` (query ignored; replaces an earlier route), after `delay` (the
  /// connection stays open meanwhile: a "late" request).
  void route(std::string path, http_response response, std::chrono::milliseconds delay = {});
  /// Asked when no route matches.
  void fallback(handler h);

  /// Everything answered so far.
  std::vector<http_served> served() const;
  void clear_served();

  /// Closes the listener and every connection, and joins the thread; also done by the destructor.
  void stop();

  struct state;

 private:
  explicit http_server(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace janus::protocol
