// What every connection of one mock browser shares (mock_browser::core): its address and ids, the
// replies configured with set_result() / set_error(), the loaded capture, the counters, and the
// pipe clients' transports. Also the small JSON helpers the other parts use.
//
// Private to tests/support/mock/ (the public header is janus/testing/mock_browser.hpp). The parts:
//   mock_browser.cpp    the public class: starting the server, serving pipes, the HTTP endpoints
//   mock_session.cpp    one client: decoding requests, echo/configured replies, backpressure
//   mock_control.cpp    the Mock domain: events, replay, delays and the injected faults
//   mock_capture.cpp    reading a capture file for Mock.replay
#pragma once

#include "janus/testing/mock_browser.hpp"

#include <janus/protocol/transport.hpp>
#include <janus/rt/result.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace janus::testing {

namespace mock_detail {

void append_int(std::string& out, std::int64_t v);
std::string_view trim_trailing_space(std::string_view s);
/// `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

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

/// Reads a capture (JSON lines of {method, params, sessionId} events and {method, result}
/// replies); an empty path gives an empty capture.
rt::result<capture> load_capture(const std::string& path);

}  // namespace mock_detail

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
  mock_detail::capture recorded;

  std::mutex rules_mu;
  std::map<std::string, mock_detail::reply_rule, std::less<>> rules;
  // Lets the echo path skip the lock while nothing is configured (the benchmark case).
  std::atomic<bool> have_rules{false};

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> events{0};

  // The pipe clients' transports, owned here (a session only observes its transport, so that no
  // cycle outlives an io_context that stops before every connection ended) until they end.
  std::mutex pipes_mu;
  std::vector<std::shared_ptr<protocol::transport>> pipes;
  bool stopped = false;

  void release_pipe(const protocol::transport* key) {
    std::shared_ptr<protocol::transport> handle;
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

  void set_rule(std::string_view method, mock_detail::reply_rule rule) {
    std::lock_guard lk(rules_mu);
    rules.insert_or_assign(std::string(method), std::move(rule));
    have_rules.store(true, std::memory_order_release);
  }
};

}  // namespace janus::testing
