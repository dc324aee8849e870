// The bare baselines of janus-protocol-bench: the least a client can do against the mock browser,
// with no actors and no Janus. Kept behind this plain interface because websocketpp only compiles
// as C++17 (bare_ws.cpp is built apart, see bench/meson.build).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace janus::bench {

struct bare_result {
  bool ok = false;
  double seconds = 0;          // from the first request written to the last reply read
  std::uint64_t replies = 0;   // replies read (their ids checked)
  std::uint64_t events = 0;    // events read
  std::string error;
};

/// Requests `{"id":i,"method":"Bench.echo","params":{"n":i}}`, `window` of them in flight, `total`
/// in all; each reply's `id` is read with simdjson on-demand and checked.
///
/// websocketpp client (asio, no TLS, no permessage-deflate, no strands, no logging) on the calling
/// thread. Gives up (ok = false) at `timeout`.
bare_result bare_ws_requests(const std::string& url, std::uint64_t total, unsigned window,
                             std::chrono::milliseconds timeout);
/// Sends `Mock.emitEvents {"count":count,"method":method,"payloadBytes":payload}` and reads every
/// message until its reply, reading each event's top-level members with simdjson (no dispatch).
bare_result bare_ws_events(const std::string& url, std::uint64_t count, unsigned payload, const std::string& method,
                           std::chrono::milliseconds timeout);

/// The same over NUL-framed pipes (poll + read/write on non-blocking fds, calling thread). Closes
/// neither fd.
bare_result bare_pipe_requests(int read_fd, int write_fd, std::uint64_t total, unsigned window,
                               std::chrono::milliseconds timeout);
bare_result bare_pipe_events(int read_fd, int write_fd, std::uint64_t count, unsigned payload,
                             const std::string& method, std::chrono::milliseconds timeout);

}  // namespace janus::bench
